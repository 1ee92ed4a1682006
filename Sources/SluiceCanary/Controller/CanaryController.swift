import CoreMetrics
import Foundation
import Logging
import SluiceKube
import SluiceModel
import SluiceProxy
import SluiceSync

/// Runs every Canary of the synced revisions: overlays the current step's weights on the route
/// before each apply (`overlay`), sends the probes through the proxy core, reads the proxy's
/// counters for the new backends, feeds each rollout's state machine, and writes what happened
/// to the Canary's status and as Events (`run`).
///
/// The controller never applies a route itself (design.md: one writer): when a step changes it
/// asks the agent to sync the current revision again (`requestSync`), and that sync calls
/// `overlay`, which hands back the new step's weights. State that must survive a restart lives in
/// the Canary's status (`status.rollout`), written before the weights move.
public actor CanaryController<C: Clock> where C.Duration == Duration {
    public typealias Key = CanaryOverlay<C>.Key
    typealias Machine = RolloutStateMachine<C>

    /// Settings with defaults suited to the agent.
    public struct Configuration: Sendable {
        /// How often rollouts are judged and due probes are started.
        public var tick: Duration
        /// The field manager of the status and of the annotation removal.
        public var fieldManager: String
        /// The longest a probe may take when its `expect.maxLatency` does not say.
        public var probeTimeout: Duration

        /// Where rollbacks are POSTed besides the Event and the metric.
        public var alerts: CanaryAlerts

        public init(
            tick: Duration = .milliseconds(100), fieldManager: String = "sluice-canary", probeTimeout: Duration = .seconds(5),
            alerts: CanaryAlerts = CanaryAlerts()
        ) {
            self.tick = tick
            self.fieldManager = fieldManager
            self.probeTimeout = probeTimeout
            self.alerts = alerts
        }
    }

    /// What the controller knows of one Canary between syncs.
    struct Tracked {
        var canary: Canary
        var route: ObjectReference
        /// The rule's backends in Git's order, with the weights applied now.
        var backends: [RouteRuleSelector.Backend]
        var status: CanaryStatus
        /// The status as last written, to turn the next write into a merge patch that also
        /// removes what is gone.
        var written: JSONValue?
        var statusDirty = false
        var pendingEvents: [CanaryEvent] = []
        var uid: String?
        var generation: Int64?
        /// Bumped at every transition: a probe answer from an earlier step is not counted.
        var epoch = 0
        var stepStarted: C.Instant?
        var probeDue: [String: C.Instant] = [:]
        var probesInFlight: Set<String> = []
        var endpoints: [String: (endpoint: ProbeEndpoint, until: C.Instant)] = [:]
        /// The proxy's counters of the new backends when the current window began.
        var baseline: [BackendKey: BackendStats.Snapshot] = [:]
    }

    let cluster: any Cluster
    let target: ProbeTarget
    let stats: ProxyStats
    let clock: C
    let metrics: CanaryMetrics
    let logger: Logger
    let requestSync: @Sendable () async -> Void
    let configuration: Configuration
    let sender: ProbeSender

    var machines: [Key: Machine] = [:]
    var tracked: [Key: Tracked] = [:]
    /// The annotation value handled last per Canary, so the events of its own removal do not
    /// carry it out twice.
    var consumedActions: [Key: String] = [:]
    /// Commands seen before the Canary's first sync since start; carried out once it is known.
    var pendingCommands: [Key: Object] = [:]

    public init(
        cluster: any Cluster, proxy target: ProbeTarget, stats: ProxyStats, clock: C,
        metrics: any MetricsFactory = MetricsSystem.factory, logger: Logger = Logger(label: "sluice.canary"),
        configuration: Configuration = Configuration(), requestSync: @escaping @Sendable () async -> Void
    ) {
        self.cluster = cluster
        self.target = target
        self.stats = stats
        self.clock = clock
        self.metrics = CanaryMetrics(factory: metrics)
        self.logger = logger
        self.configuration = configuration
        self.requestSync = requestSync
        self.sender = ProbeSender()
    }

    /// The status the controller holds for a Canary (what it last wrote or is about to write).
    public func status(of key: Key) -> CanaryStatus? { tracked[key]?.status }

    /// The phase of a Canary's rollout, as the state machine has it now.
    public func phase(of key: Key) -> CanaryPhase? { machines[key]?.phase }

    // MARK: - The sync's hook

    /// `desired` with each Canary's route rule carrying the weights its rollout allows now.
    ///
    /// Called by the agent's sync before every apply. A revision that changes a Canary's rule
    /// weights starts a rollout from the live weights towards Git's; every other change in the
    /// revision is left as Git has it and applies at once.
    public func overlay(_ desired: [Object], revision: String) async -> [Object] {
        let live = await liveObjects(for: desired)
        let now = clock.now
        let (objects, outcomes) = CanaryOverlay<C>().apply(
            to: desired, revision: revision, live: { live[Self.liveKey($0)] }, machines: &machines, at: now)

        for outcome in outcomes {
            let key = outcome.canary
            if let problem = outcome.problem {
                logger.warning("canary cannot act", metadata: ["canary": "\(key)", "problem": "\(problem)"])
                continue
            }
            guard let route = outcome.route,
                  let object = desired.first(where: { $0.kind == "Canary" && $0.name == key.name && ($0.namespace ?? "default") == key.namespace }),
                  let canary = try? object.decode(as: Canary.self)
            else { continue }
            let liveCanary = live[Self.liveKey(CanaryControl.reference(namespace: key.namespace, name: key.name))]
            var entry = tracked[key] ?? Tracked(
                canary: canary, route: route, backends: outcome.backends,
                status: (try? liveCanary?.decode(as: Canary.self))?.status ?? CanaryStatus(),
                written: liveCanary?.content["status"])
            entry.canary = canary
            entry.route = route
            entry.backends = outcome.backends
            if let liveCanary {
                entry.uid = liveCanary.metadata["uid"]?.stringValue
                entry.generation = liveCanary.metadata["generation"]?.integerValue
            }
            if entry.stepStarted == nil, self.machines[key]?.phase == .progressing { entry.stepStarted = now }
            tracked[key] = entry
            publishWeights(key)
            await carryOut(outcome.action, for: key, sync: false)
        }
        return objects
    }

    /// Reads the live route and Canary of every Canary in `desired`.
    private func liveObjects(for desired: [Object]) async -> [String: Object] {
        var live: [String: Object] = [:]
        for object in desired where object.kind == "Canary" && object.group == Canary.group {
            let namespace = object.namespace ?? "default"
            var references = [CanaryControl.reference(namespace: namespace, name: object.name)]
            if let canary = try? object.decode(as: Canary.self) {
                references.append(ObjectReference(
                    apiVersion: "\(GatewayAPI.group)/v1", kind: canary.spec.routeRef.kind ?? "HTTPRoute", namespace: namespace,
                    name: canary.spec.routeRef.name))
            }
            for reference in references {
                do {
                    live[Self.liveKey(reference)] = try await cluster.get(reference)
                } catch let error as APIError where error.code == 404 {
                    continue
                } catch {
                    logger.warning("cannot read \(reference): \(error)")
                }
            }
        }
        return live
    }

    /// Objects are matched by kind, namespace and name: Git may name another served version.
    static func liveKey(_ reference: ObjectReference) -> String {
        "\(reference.kind)/\(reference.namespace ?? "default")/\(reference.name)"
    }

    /// Drops a Canary deleted from the cluster (pruned when it left Git). Not done when a
    /// revision lacks it: the agent syncs several targets, each with its own Canaries.
    func forget(_ key: Key) {
        tracked[key] = nil
        machines[key] = nil
        consumedActions[key] = nil
        pendingCommands[key] = nil
    }
}
