import Foundation
import SluiceModel
import SluiceTestSupport
import Testing

@testable import SluiceKube

/// Events expire an hour after their last write, as kube-apiserver's `--event-ttl` makes them.
@Suite struct EventExpiryTests {
    static let events = ResourceKind(group: "", version: "v1", kind: "Event", plural: "events", namespaced: true)

    static func eventNames(_ cluster: EmbeddedCluster) async throws -> [String] {
        try await cluster.list(events, namespace: "default", options: ListOptions()).items.map(\.name).sorted()
    }

    @Test("an Event not written for an hour is deleted after a later write; newer Events and other kinds stay")
    func expiry() async throws {
        let directory = try TemporaryDirectory("sluice-event-ttl")
        let clock = WatchHistoryTests.ManualClock()
        let cluster = try await EmbeddedCluster(configuration: .init(dataDirectory: directory.url, now: { clock.now() }))
        let involved = ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "inventory")
        _ = try await WatchHistoryTests.put(cluster, "old-config")
        let old = try await cluster.createEvent(EventRecord(involved: involved, type: "Warning", reason: "SyncFailed", message: "first"))
        clock.advance(seconds: 40 * 60)
        let newer = try await cluster.createEvent(EventRecord(involved: involved, type: "Normal", reason: "Synced", message: "second"))
        #expect(try await Self.eventNames(cluster) == [old.name, newer.name].sorted())

        clock.advance(seconds: 21 * 60)
        _ = try await WatchHistoryTests.put(cluster, "trigger")
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        while try await Self.eventNames(cluster).count > 1, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try await Self.eventNames(cluster) == [newer.name])
        _ = try await cluster.get(ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "old-config"))
    }
}
