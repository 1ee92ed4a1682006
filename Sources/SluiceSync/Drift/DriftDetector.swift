import Foundation
import Logging
import Metrics
import SluiceKube
import SluiceModel

/// Watches every object the agent applied and reports, within about a second, when another
/// manager changes a field Sluice owns or deletes the object: a Warning Event `DriftDetected` on
/// the object, a log line, the metrics `sluice_drift_detected_total{target,kind}` and
/// `sluice_drifted_objects{target}`, and the webhook of `DriftAlerts` when one is set.
///
/// The comparison is a server-side dry run of the tracked object (force, as field manager
/// `sluice`) against the live object (`DriftReport.compare`), so the API server's defaults,
/// fields other managers own and status writes never count. Per target, mode `correct` applies
/// the tracked object again at once (Event `DriftCorrected`); mode `alert` keeps the object in
/// the drifted set, reporting each new change, until the live object matches again (Event
/// `DriftResolved`).
///
/// The current drift of each target is also kept in a ConfigMap `sluice-drift-<target>` in the
/// target's inventory namespace (see `DriftRecord`), so `sluice drift` can list it.
public actor DriftDetector {
    /// The reasons of the Events the detector writes.
    public enum Reason {
        public static let detected = "DriftDetected"
        public static let corrected = "DriftCorrected"
        public static let resolved = "DriftResolved"
    }

    /// An object's identity regardless of API version (a watch may serve another version).
    struct Key: Hashable, Sendable {
        var group: String
        var kind: String
        var namespace: String?
        var name: String

        init(_ reference: ObjectReference) {
            group = reference.group
            kind = reference.kind
            namespace = reference.namespace
            name = reference.name
        }
    }

    struct Tracked: Sendable {
        var target: SyncTarget
        var mode: DriftMode
        var ignore: [DriftIgnoreRule]
        var objects: [Key: Object]
        /// Bumped on every `track`, so a check that started before it is not acted on.
        var generation: Int
    }

    struct Drifted: Sendable {
        var report: DriftReport
        var since: Date
    }

    let cluster: any Cluster
    let fieldManager: String
    let alerts: DriftAlerts
    let metrics: any MetricsFactory
    let logger: Logger
    /// How long a deletion waits before it counts as drift: the agent's own prune deletes first
    /// and writes the inventory without the object right after, which the check then reads.
    let deletionGrace: Duration = .milliseconds(300)

    var targets: [String: Tracked] = [:]
    var owners: [Key: String] = [:]
    var drifted: [String: [Key: Drifted]] = [:]
    /// The drift record last written per target, so an unchanged one is not written again.
    var persisted: [String: DriftRecord] = [:]
    /// Tracked objects checked at least once since they were tracked as they are now.
    var checked: Set<Key> = []
    /// Objects a check is running for: checks of one object never overlap.
    var inFlight: Set<Key> = []
    /// Drifted objects to check again without a watch event (their desired state changed).
    var pendingRechecks: Set<Key> = []

    public init(
        cluster: any Cluster, fieldManager: String = "sluice", alerts: DriftAlerts,
        metrics: any MetricsFactory = MetricsSystem.factory, logger: Logger
    ) {
        self.cluster = cluster
        self.fieldManager = fieldManager
        self.alerts = alerts
        self.metrics = metrics
        self.logger = logger
    }

    /// Replaces what `target` expects with `objects`, exactly as the last successful sync applied
    /// them (namespaces filled in, any canary overlay on them).
    public func track(target: SyncTarget, objects: [Object], mode: DriftMode, ignore: [DriftIgnoreRule]) {
        let previous = targets[target.name]
        for key in previous?.objects.keys.map({ $0 }) ?? [] where owners[key] == target.name { owners[key] = nil }
        var tracked: [Key: Object] = [:]
        for object in objects {
            let key = Key(object.reference)
            tracked[key] = object
            owners[key] = target.name
            if previous?.objects[key] != object { checked.remove(key) }
        }
        targets[target.name] = Tracked(
            target: target, mode: mode, ignore: ignore, objects: tracked, generation: (previous?.generation ?? 0) + 1)
        // Drift of objects no longer tracked is over; drift of the others is checked against the
        // new desired state.
        var current = drifted[target.name] ?? [:]
        for key in current.keys where tracked[key] == nil { current[key] = nil }
        drifted[target.name] = current
        pendingRechecks.formUnion(current.keys)
        recordGauge(target.name)
    }

    /// Every object drifted now, all targets, ordered by object.
    public func currentDrift() -> [DriftReport] {
        drifted.values.flatMap { $0.values.map(\.report) }.sorted { $0.object < $1.object }
    }

    /// How many tracked objects have not been compared with the cluster yet (0 once the first
    /// watch lists have been checked).
    public func uncheckedCount() -> Int {
        owners.keys.filter { !checked.contains($0) }.count
    }

    /// Runs until cancelled: one watch per tracked kind (restarted when the kinds change), and
    /// the re-checks that `track` asks for.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.runWatches() }
            group.addTask { await self.runRechecks() }
            await group.next()
            group.cancelAll()
        }
    }

    /// The kinds with tracked objects, one apiVersion per group and kind.
    func trackedKinds() -> [(apiVersion: String, kind: String)] {
        var seen: Set<String> = []
        var kinds: [(apiVersion: String, kind: String)] = []
        for tracked in targets.values.sorted(by: { $0.target.name < $1.target.name }) {
            for object in tracked.objects.values.sorted(by: { $0.reference < $1.reference })
            where seen.insert("\(object.group)/\(object.kind)").inserted {
                kinds.append((object.apiVersion, object.kind))
            }
        }
        return kinds
    }

    private func runWatches() async {
        while !Task.isCancelled {
            let wanted = trackedKinds()
            let signature = wanted.map { "\($0.apiVersion)/\($0.kind)" }
            var kinds: [ResourceKind] = []
            for (apiVersion, kind) in wanted {
                do {
                    kinds.append(try await cluster.resourceKind(apiVersion: apiVersion, kind: kind))
                } catch {
                    logger.warning("drift: cannot watch \(kind) (\(apiVersion)): \(error)")
                }
            }
            await withTaskGroup(of: Void.self) { group in
                for kind in kinds { group.addTask { await self.watch(kind) } }
                group.addTask {
                    // Polled rather than signalled: a change of kinds is rare, and 100 ms is
                    // well inside the one-second promise for objects of a new kind.
                    while !Task.isCancelled {
                        if await self.trackedKinds().map({ "\($0.apiVersion)/\($0.kind)" }) != signature { return }
                        try? await Task.sleep(for: .milliseconds(100))
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    private func watch(_ kind: ResourceKind) async {
        while !Task.isCancelled {
            do {
                for try await event in cluster.observe(kind, namespace: nil) {
                    switch event {
                    case .added(let object), .modified(let object):
                        await check(Key(object.reference), live: object)
                    case .deleted(let object):
                        await check(Key(object.reference), live: nil)
                    case .bookmark:
                        continue
                    }
                }
            } catch {
                guard !Task.isCancelled else { return }
                logger.warning("drift: watch of \(kind.qualifiedResource) failed, restarting: \(error)")
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func runRechecks() async {
        while !Task.isCancelled {
            let keys = pendingRechecks
            pendingRechecks = []
            for key in keys {
                guard let target = owners[key], let object = targets[target]?.objects[key] else { continue }
                do {
                    let live = try await cluster.get(object.reference)
                    await check(key, live: live)
                } catch let error as APIError where error.code == 404 {
                    await check(key, live: nil)
                } catch {
                    logger.warning("drift: cannot read \(object.reference): \(error)")
                }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }
}
