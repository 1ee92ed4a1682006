import Foundation
import SluiceModel

/// kube-apiserver stores Events with an etcd lease of `--event-ttl` (one hour by default), renewed
/// by each write: an Event nobody updated for that long disappears, with a DELETED watch event.
extension EmbeddedCluster {
    func queueEventExpiryIfDue() {
        let now = configuration.now()
        guard now >= nextEventExpiry else { return }
        nextEventExpiry = now.addingTimeInterval(60)
        Task { await self.expireEvents() }
    }

    /// Deletes the Events last written more than `eventTTL` ago.
    func expireEvents() async {
        let cutoff = configuration.now().subtracting(configuration.eventTTL)
        let expired = objects.filter { key, stored in
            key.group == "" && key.resource == "events" && Self.lastWrite(of: stored.value).map { $0 < cutoff } ?? false
        }
        for (key, stored) in expired.sorted(by: { $0.key < $1.key }) {
            let version = nextResourceVersion()
            let lastState = stored.value.replacing(["metadata", "resourceVersion"], with: .string(String(version)))
            do {
                try commitRemoval(key, lastState: lastState, version: version)
            } catch {
                return  // the store takes no writes (full disk): the Events stay until it does
            }
        }
        try? await durable()
    }

    /// The newest of the creation time and the managers' write times.
    static func lastWrite(of value: JSONValue) -> Date? {
        let metadata = value["metadata"]
        let times = [metadata?["creationTimestamp"]?.stringValue]
            + (metadata?["managedFields"]?.arrayValue ?? []).map { $0["time"]?.stringValue }
        return times.compactMap { $0.flatMap { try? Date($0, strategy: .iso8601) } }.max()
    }
}
