import SluiceModel

/// Where the canary meets the sync: before a revision is applied, each Canary it carries gets
/// to say which weights its route rule should have right now. Git's weights become the rollout's
/// target; the route is applied with the current step's weights instead (design.md: one writer).
///
/// Pure: the live objects come in as values, the state machines as an inout dictionary, and the
/// transitions go out for the owner to record as status and Events.
public struct CanaryOverlay<C: Clock>: Sendable where C.Duration == Duration {
    public typealias Machine = RolloutStateMachine<C>

    /// A Canary's identity: its namespace and name.
    public struct Key: Sendable, Hashable, CustomStringConvertible {
        public var namespace: String
        public var name: String

        public init(namespace: String, name: String) {
            self.namespace = namespace
            self.name = name
        }

        public var description: String { "Canary \(namespace)/\(name)" }
    }

    /// What happened to one Canary in this revision.
    public struct Outcome: Sendable, Hashable {
        public var canary: Key
        public var route: ObjectReference?
        /// The backends of the route rule, in Git's order, with the weights applied now.
        public var backends: [RouteRuleSelector.Backend]
        public var action: RolloutAction
        /// Why the Canary could not act (its route is missing, its spec is invalid); the route,
        /// if any, is then applied as Git has it.
        public var problem: String?
    }

    public init() {}

    /// `rendered` with each Canary's route rule carrying the weights its rollout allows now.
    ///
    /// - Parameters:
    ///   - live: the live object for a reference (the route as it serves now; the Canary, for
    ///     the rollout record in its status), or nil when it does not exist.
    ///   - machines: the rollouts in progress, keyed by Canary; created or restored here as needed.
    public func apply(
        to rendered: [Object], revision: String, live: (ObjectReference) -> Object?,
        machines: inout [Key: Machine], at now: C.Instant
    ) -> (objects: [Object], outcomes: [Outcome]) {
        var objects = rendered
        var outcomes: [Outcome] = []
        for canaryObject in rendered where canaryObject.kind == "Canary" && canaryObject.group == Canary.group {
            let key = Key(namespace: canaryObject.namespace ?? "default", name: canaryObject.name)
            func refuse(_ problem: String, route: ObjectReference? = nil) {
                outcomes.append(Outcome(canary: key, route: route, backends: [], action: .none, problem: problem))
            }
            let canary: Canary
            do {
                canary = try canaryObject.decode()
            } catch {
                refuse("\(error)")
                continue
            }
            if let problem = canary.spec.problems().first {
                refuse(problem)
                continue
            }
            let configuration: Machine.Configuration
            do {
                configuration = try Self.configuration(of: canary.spec)
            } catch {
                refuse("spec.interval: \(error)")
                continue
            }
            let kind = canary.spec.routeRef.kind ?? "HTTPRoute"
            guard let routeIndex = objects.firstIndex(where: {
                $0.kind == kind && $0.group == GatewayAPI.group && $0.name == canary.spec.routeRef.name
                    && ($0.namespace ?? "default") == key.namespace
            }) else {
                refuse("\(kind) \(key.namespace)/\(canary.spec.routeRef.name) is not in this revision")
                continue
            }
            let route = objects[routeIndex]
            let selector = canary.spec.routeRef.selector
            do throws(RouteRuleSelector.Failure) {
                let desired = try selector.backends(of: route)
                let liveRoute = live(route.reference)
                // A route not yet in the cluster has nothing to roll from: Git's weights apply.
                var liveBackends = desired
                if let liveRoute { liveBackends = try selector.backends(of: liveRoute) }
                let liveWeights = RouteRuleSelector.align(live: liveBackends, to: desired)

                var machine: Machine
                if let existing = machines[key] {
                    // An edited spec takes effect at once; the rollout goes on from where it is.
                    machine = existing.configuration == configuration
                        ? existing : Machine(configuration: configuration, restoring: existing.record, now: now)
                } else {
                    machine = Self.restore(key: key, configuration: configuration, live: live, at: now)
                        ?? Machine(configuration: configuration)
                }
                var action = machine.revisionArrived(revision, desired: desired.map(\.weight), live: liveWeights, at: now)
                if let weights = machine.weights, weights.count != desired.count {
                    // The rule's backends changed under a rollout: start over from what serves.
                    machine = Machine(configuration: configuration)
                    action = machine.revisionArrived(revision, desired: desired.map(\.weight), live: liveWeights, at: now)
                }
                machines[key] = machine
                let applied = machine.weights ?? desired.map(\.weight)
                if let weights = machine.weights { objects[routeIndex] = try selector.overlay(weights, on: route) }
                let backends = zip(desired, applied).map { backend, weight in
                    var current = backend
                    current.weight = weight
                    return current
                }
                outcomes.append(Outcome(canary: key, route: route.reference, backends: backends, action: action, problem: nil))
            } catch {
                refuse(error.description, route: route.reference)
            }
        }
        return (objects, outcomes)
    }

    /// The machine's settings from a Canary's spec, with the CRD's defaults.
    public static func configuration(of spec: CanarySpec) throws(GoDuration.ParseError) -> Machine.Configuration {
        Machine.Configuration(
            steps: spec.steps, interval: try GoDuration.parse(spec.interval ?? "30s"),
            successRate: spec.successRate ?? 0.99, minRequests: spec.minRequests ?? 20,
            failureLimit: spec.failureLimit ?? 2, gates: Set(spec.manualGates ?? []))
    }

    /// A machine resumed from the rollout record in the live Canary's status, after a restart.
    static func restore(key: Key, configuration: Machine.Configuration, live: (ObjectReference) -> Object?, at now: C.Instant) -> Machine? {
        let reference = ObjectReference(apiVersion: Canary.apiVersion, kind: "Canary", namespace: key.namespace, name: key.name)
        guard let object = live(reference), let canary: Canary = try? object.decode(), let record = canary.status?.rollout else {
            return nil
        }
        return Machine(configuration: configuration, restoring: record, now: now)
    }
}
