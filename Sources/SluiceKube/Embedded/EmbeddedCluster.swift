import DequeModule
import Foundation
import SluiceModel

/// The embedded Kubernetes API: an object store persisted under a data directory that keeps the
/// API server's contract for what Sluice uses — server-side apply with managedFields, conflicts
/// and force, field removal, dry-run, schema defaulting and validation (422 with the server's
/// messages), resourceVersion and generation, the status subresource, watch, delete with
/// preconditions, namespaces, CustomResourceDefinitions. `APIServer` serves it over HTTPS so
/// kubectl and `KubeCluster` talk to it as to a real cluster.
///
/// One deliberate deviation (docs/embedded-cluster.md): EndpointSlices may carry loopback
/// addresses, because in the embedded default the backends run on the same machine.
public actor EmbeddedCluster {
    /// Settings; the clock is injectable so tests can make time pass.
    public struct Configuration: Sendable {
        public var dataDirectory: URL
        public var now: @Sendable () -> Date
        /// At most how many past events a watch can resume from before it gets 410 Gone.
        public var watchHistory: Int
        /// How long past events are kept for watches to resume from (the newest
        /// `EmbeddedCluster.minimumWatchHistory` whatever their age): kube-apiserver's watch cache keeps
        /// 75 s of events ("eventFreshDuration"), so an agent running for weeks holds minutes of
        /// history, not all of it.
        public var watchHistoryWindow: Duration
        /// Runs kube-controller-manager's garbage collector (`GarbageCollector`): foreground and
        /// orphan deletions complete, dependents of deleted owners go. Off only to answer as the
        /// recordings' cluster did, which ran no controller manager.
        public var garbageCollector: Bool
        /// Events are deleted this long after their last write, as kube-apiserver's `--event-ttl`
        /// (default one hour) has etcd do: Events recorded for every sync failure or rollback step
        /// would otherwise pile up for as long as the agent runs.
        public var eventTTL: Duration

        public init(
            dataDirectory: URL, now: @escaping @Sendable () -> Date = { Date() }, watchHistory: Int = 10_000,
            watchHistoryWindow: Duration = .seconds(75), garbageCollector: Bool = true, eventTTL: Duration = .seconds(3600)
        ) {
            self.dataDirectory = dataDirectory
            self.now = now
            self.watchHistory = watchHistory
            self.watchHistoryWindow = watchHistoryWindow
            self.garbageCollector = garbageCollector
            self.eventTTL = eventTTL
        }
    }

    /// A kind this cluster serves.
    struct Served: Sendable {
        var entry: KindCatalog.Entry
        var schema: StructuralSchema
        var resource: ResourceKind { ResourceKind(entry) }
        /// Custom resources are held as maps by the real server, so their JSON comes out with
        /// sorted keys; core kinds are Go structs and keep their field order.
        var isCustom: Bool
    }

    /// A stored object with its bookkeeping.
    struct Stored: Sendable {
        var value: JSONValue
        var resourceVersion: Int64
    }

    struct Event: Sendable {
        var type: String
        var key: ObjectStore.Key
        var value: JSONValue
        var resourceVersion: Int64
    }

    /// A past event and when it happened, for watches that resume from a resourceVersion.
    struct PastEvent: Sendable {
        var event: Event
        var time: Date
    }

    let configuration: Configuration
    let log: WriteAheadLog
    /// The log sequence of the last write; `durable()` waits for it.
    var lastSequence: UInt64 = 0
    var objects: [ObjectStore.Key: Stored] = [:]
    var servedByPath: [String: Served] = [:]  // "group/version/plural"
    var byKind: [String: String] = [:]  // "apiVersion/kind" -> served key
    var resourceVersion: Int64 = 0
    var history: Deque<PastEvent> = []
    /// The newest resourceVersion no longer covered by `history` (events dropped, or written
    /// before this process started): a watch from an older version gets 410 Gone.
    var historyForgottenThrough: Int64 = 0
    var watchers: [UUID: Watcher] = [:]
    var schemas = SchemaCatalog()
    /// A garbage collection pass is queued (it runs after the write that asked for it answers).
    var garbageCollectionQueued = false
    /// Expired Events are looked for at most once a minute, after a write.
    var nextEventExpiry = Date.distantPast

    struct Watcher {
        var group: String
        var resource: String
        var namespace: String?
        var selector: LabelSelector?
        var continuation: AsyncStream<Event>.Continuation
    }

    /// Opens (or creates) the cluster under `configuration.dataDirectory`: stored objects come
    /// back, built-in kinds and CRDs are served, and the default namespaces exist.
    public init(configuration: Configuration) async throws {
        self.configuration = configuration
        let (log, contents) = try WriteAheadLog.open(in: configuration.dataDirectory)
        self.log = log
        resourceVersion = contents.resourceVersion
        historyForgottenThrough = resourceVersion
        for entry in KindCatalog.builtIn { registerServed(entry, custom: !CoreKinds.isCore(entry)) }
        for entry in KindCatalog.entries(of: Self.crdDefinition) { registerServed(entry, custom: false) }
        for (key, value) in contents.objects {
            let version = Int64(value["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? 0
            resourceVersion = max(resourceVersion, version)
            historyForgottenThrough = resourceVersion
            objects[key] = Stored(value: value, resourceVersion: version)
            if key.resource == "customresourcedefinitions" { registerCRD(value) }
        }
        try seed()
        try await durable()
        // Deletions a previous run left pending finish now.
        queueGarbageCollection()
    }

    /// Waits until every write made so far is on disk; mutating calls await it before answering.
    func durable() async throws(APIError) {
        do {
            try await log.waitUntilDurable(lastSequence)
        } catch {
            throw APIError.internalError("storing objects: \(error)")
        }
    }

    public init(dataDirectory: URL) async throws {
        try await self.init(configuration: Configuration(dataDirectory: dataDirectory))
    }

    /// The default namespaces and the built-in CRDs as objects, on first start.
    private func seed() throws {
        for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let key = ObjectStore.Key(group: "", resource: "namespaces", namespace: nil, name: name)
            if objects[key] == nil {
                _ = try create(servedKind(group: "", version: "v1", plural: "namespaces")!, namespace: nil,
                    body: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]], manager: "sluice")
            }
        }
        let crds = servedKind(group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions")!
        for crd in GatewayAPI.customResourceDefinitions {
            let key = ObjectStore.Key(group: crds.entry.group, resource: crds.entry.plural, namespace: nil, name: crd.name)
            if objects[key] == nil { _ = try create(crds, namespace: nil, body: crd.value, manager: "sluice") }
        }
    }

    func registerServed(_ entry: KindCatalog.Entry, custom: Bool) {
        let key = "\(entry.group)/\(entry.version)/\(entry.plural)"
        servedByPath[key] = Served(entry: entry, schema: StructuralSchema(entry.schema), isCustom: custom)
        schemas.add(crd: CoreKinds.crdShaped(
            group: entry.group, version: entry.version, kind: entry.kind, plural: entry.plural,
            namespaced: entry.namespaced, statusSubresource: entry.statusSubresource, schema: entry.schema))
        byKind["\(entry.apiVersion)/\(entry.kind)"] = key
    }

    func registerCRD(_ crd: JSONValue) {
        for entry in KindCatalog.entries(of: Object(crd.objectValue ?? [:])) { registerServed(entry, custom: true) }
    }

    func servedKind(group: String, version: String, plural: String) -> Served? {
        servedByPath["\(group)/\(version)/\(plural)"]
    }

    func servedKind(apiVersion: String, kind: String) -> Served? {
        byKind["\(apiVersion)/\(kind)"].flatMap { servedByPath[$0] }
    }

    /// Every served kind, for discovery.
    func servedKinds() -> [Served] { Array(servedByPath.values) }

    /// The CustomResourceDefinition kind itself, served so that CRDs can be applied.
    static var crdDefinition: Object {
        let schema: JSONValue = [
            "type": "object",
            "properties": [
                "apiVersion": ["type": "string"], "kind": ["type": "string"], "metadata": ["type": "object"],
                "spec": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
                "status": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
            ],
        ]
        return CoreKinds.crdShaped(
            group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition", plural: "customresourcedefinitions",
            shortNames: ["crd", "crds"], namespaced: false, statusSubresource: true, schema: schema)
    }

    // MARK: - Time and versions

    func timestamp() -> String { Self.rfc3339(configuration.now()) }

    static func rfc3339(_ date: Date) -> String { KubernetesTime.time(date) }

    func nextResourceVersion() -> Int64 {
        resourceVersion += 1
        return resourceVersion
    }

    var currentResourceVersion: String { String(resourceVersion) }

    // MARK: - Persisting and notifying

    /// Logs the write of `value` under `key` (durable once `durable()` returns), records the
    /// event and tells the watchers.
    func commit(_ key: ObjectStore.Key, _ value: JSONValue, version: Int64, type: String) throws(APIError) {
        try requireWritableLog()
        lastSequence = log.enqueue(WriteAheadLog.record(key, value: value, resourceVersion: version))
        objects[key] = Stored(value: value, resourceVersion: version)
        publish(Event(type: type, key: key, value: value, resourceVersion: version))
        if value["metadata"]?["deletionTimestamp"] != nil { queueGarbageCollection() }
        queueEventExpiryIfDue()
    }

    func commitRemoval(_ key: ObjectStore.Key, lastState: JSONValue, version: Int64) throws(APIError) {
        try requireWritableLog()
        lastSequence = log.enqueue(WriteAheadLog.record(key, value: nil, resourceVersion: version))
        objects[key] = nil
        publish(Event(type: "DELETED", key: key, value: lastState, resourceVersion: version))
        queueGarbageCollection()
    }

    /// Once the log failed (a full disk), a write is refused before it changes anything here:
    /// what the store holds in memory stays what it can still replay.
    private func requireWritableLog() throws(APIError) {
        if let failure = log.failure { throw APIError.internalError("storing objects: \(failure); the store takes no writes until restarted") }
    }

    private func publish(_ event: Event) {
        let now = configuration.now()
        history.append(PastEvent(event: event, time: now))
        forgetOldHistory(now: now)
        for watcher in watchers.values where watcher.matches(event) {
            watcher.continuation.yield(event)
        }
    }
}

extension EmbeddedCluster {
    /// Fewer past events than this are never dropped for their age.
    static let minimumWatchHistory = 100

    /// Drops past events beyond `watchHistory`, and those older than `watchHistoryWindow` while
    /// more than `minimumWatchHistory` remain.
    func forgetOldHistory(now: Date) {
        let cutoff = now.subtracting(configuration.watchHistoryWindow)
        while let oldest = history.first,
            history.count > configuration.watchHistory
                || (history.count > Self.minimumWatchHistory && oldest.time < cutoff)
        {
            historyForgottenThrough = oldest.event.resourceVersion
            history.removeFirst()
        }
    }
}

extension Date {
    /// This time minus `duration` (the store's clock is a `Date`; its retention settings are durations).
    func subtracting(_ duration: Duration) -> Date {
        let (seconds, attoseconds) = duration.components
        return addingTimeInterval(-(Double(seconds) + Double(attoseconds) / 1e18))
    }
}

extension EmbeddedCluster.Watcher {
    func matches(_ event: EmbeddedCluster.Event) -> Bool {
        guard event.key.group == group, event.key.resource == resource else { return false }
        if let namespace, event.key.namespace != namespace { return false }
        if let selector, !selector.matches(labels(of: event.value)) { return false }
        return true
    }
}

func labels(of value: JSONValue) -> [String: String] {
    var labels: [String: String] = [:]
    for (key, label) in value["metadata"]?["labels"]?.objectValue ?? [:] { labels[key] = label.stringValue ?? "" }
    return labels
}
