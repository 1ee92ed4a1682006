import Foundation
import SluiceModel
import SluiceTestSupport
import Synchronization
import Testing

@testable import SluiceKube

/// The past events a watch can resume from are bounded by age, as kube-apiserver's watch cache
/// is: an agent that runs for weeks keeps minutes of history, not every write since it started.
@Suite struct WatchHistoryTests {
    static let configMaps = ResourceKind(group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true)

    /// A clock the test moves by hand.
    final class ManualClock: Sendable {
        private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        func now() -> Date { current.withLock { $0 } }
        func advance(seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    static func put(_ cluster: EmbeddedCluster, _ name: String) async throws -> Int64 {
        let value: JSONValue = [
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": "default"],
            "data": ["k": "v"],
        ]
        let applied = try await cluster.serverSideApply(Object(value.objectValue ?? [:]), options: ApplyOptions(fieldManager: "test"))
        return Int64(applied.metadata["resourceVersion"]?.stringValue ?? "") ?? 0
    }

    /// The names in the past events a watch from `version` replays (no waiting for live ones).
    static func resume(_ cluster: EmbeddedCluster, from version: Int64) async throws -> [String] {
        let served = try await cluster.served(for: configMaps)
        let (events, id) = try await cluster.watch(
            served, namespace: "default", options: WatchOptions(resourceVersion: String(version), allowBookmarks: false))
        await cluster.stopWatching(id)
        var names: [String] = []
        for await event in events { names.append(event.object?.name ?? "") }
        return names
    }

    @Test("events older than the window are forgotten beyond the newest 100: resuming before them is 410 Gone")
    func ageBound() async throws {
        let directory = try TemporaryDirectory("sluice-watch-history")
        let clock = ManualClock()
        let cluster = try await EmbeddedCluster(
            configuration: .init(dataDirectory: directory.url, now: { clock.now() }, watchHistoryWindow: .seconds(75)))
        var versions: [Int64] = []
        for index in 0..<150 { versions.append(try await Self.put(cluster, "old-\(index)")) }

        // Within the window every past event is still there.
        #expect(try await Self.resume(cluster, from: versions[0]).count == 149)

        clock.advance(seconds: 80)
        let newest = try await Self.put(cluster, "new")
        await #expect { _ = try await Self.resume(cluster, from: versions[0]) } throws: { ($0 as? APIError)?.code == 410 }
        // The newest 100 events stay whatever their age: the last 99 old writes and the new one.
        let kept = try await Self.resume(cluster, from: versions[50])
        #expect(kept == (51..<150).map { "old-\($0)" } + ["new"])
        #expect(try await Self.resume(cluster, from: newest).isEmpty)
    }

    @Test("at most watchHistory events are kept, whatever their age")
    func countBound() async throws {
        let directory = try TemporaryDirectory("sluice-watch-history")
        let cluster = try await EmbeddedCluster(configuration: .init(dataDirectory: directory.url, watchHistory: 120))
        var versions: [Int64] = []
        for index in 0..<130 { versions.append(try await Self.put(cluster, "cm-\(index)")) }
        await #expect { _ = try await Self.resume(cluster, from: versions[5]) } throws: { ($0 as? APIError)?.code == 410 }
        #expect(try await Self.resume(cluster, from: versions[10]).count == 119)
    }

    @Test("after a restart, resuming from a version written before it is 410 Gone, as on a restarted API server")
    func restart() async throws {
        let directory = try TemporaryDirectory("sluice-watch-history")
        var version: Int64 = 0
        do {
            let cluster = try await EmbeddedCluster(dataDirectory: directory.url)
            _ = try await Self.put(cluster, "before")
            version = try await Self.put(cluster, "before-2")
        }
        let reopened = try await EmbeddedCluster(dataDirectory: directory.url)
        await #expect { _ = try await Self.resume(reopened, from: version - 1) } throws: { ($0 as? APIError)?.code == 410 }
        #expect(try await Self.resume(reopened, from: version).isEmpty)
        _ = try await Self.put(reopened, "after")
        #expect(try await Self.resume(reopened, from: version) == ["after"])
    }
}
