import SluiceModel

/// A Canary (`sluice.dev/v1alpha1`): how the weights Git sets on one route rule are reached,
/// step by step, gated by probes through the proxy core.
public typealias Canary = Resource<CanarySpec, CanaryStatus>

extension Canary {
    public static let group = "sluice.dev"
    public static let version = "v1alpha1"
    public static let apiVersion = "sluice.dev/v1alpha1"
}

/// `spec` of a Canary.
public struct CanarySpec: Codable, Sendable, Hashable {
    public var routeRef: RouteReference
    /// The share of traffic, in percent, that follows Git's weights at each step.
    public var steps: [Int]
    /// The least time each step is held (a Go duration).
    public var interval: String?
    public var probes: [Probe]?
    public var successRate: Double?
    public var minRequests: Int?
    public var failureLimit: Int?
    public var manualGates: [ManualGate]?

    public init(
        routeRef: RouteReference, steps: [Int], interval: String? = nil, probes: [Probe]? = nil,
        successRate: Double? = nil, minRequests: Int? = nil, failureLimit: Int? = nil, manualGates: [ManualGate]? = nil
    ) {
        self.routeRef = routeRef
        self.steps = steps
        self.interval = interval
        self.probes = probes
        self.successRate = successRate
        self.minRequests = minRequests
        self.failureLimit = failureLimit
        self.manualGates = manualGates
    }

    /// The route and rule whose weights this Canary steps.
    public struct RouteReference: Codable, Sendable, Hashable {
        public var group: String?
        public var kind: String?
        public var name: String
        public var ruleName: String?
        public var rule: Int?

        public init(group: String? = nil, kind: String? = nil, name: String, ruleName: String? = nil, rule: Int? = nil) {
            self.group = group
            self.kind = kind
            self.name = name
            self.ruleName = ruleName
            self.rule = rule
        }

        public var selector: RouteRuleSelector { RouteRuleSelector(ruleName: ruleName, ruleIndex: rule) }
    }

    /// A request the agent sends through its own proxy core, and what a good answer looks like.
    public struct Probe: Codable, Sendable, Hashable {
        public var name: String
        public var request: Request
        public var expect: Expectation?
        /// How often the probe is sent (a Go duration; default 1s).
        public var every: String?

        public init(name: String, request: Request, expect: Expectation? = nil, every: String? = nil) {
            self.name = name
            self.request = request
            self.expect = expect
            self.every = every
        }

        public struct Request: Codable, Sendable, Hashable {
            public var method: String?
            public var path: String?
            public var hostname: String?
            public var headers: [String: String]?
            /// The Gateway listener's port (default: the route's first HTTP listener).
            public var port: Int?
            public var scheme: String?

            public init(
                method: String? = nil, path: String? = nil, hostname: String? = nil, headers: [String: String]? = nil,
                port: Int? = nil, scheme: String? = nil
            ) {
                self.method = method
                self.path = path
                self.hostname = hostname
                self.headers = headers
                self.port = port
                self.scheme = scheme
            }
        }

        public struct Expectation: Codable, Sendable, Hashable {
            /// Accepted status codes (default: any 2xx).
            public var status: [Int]?
            public var maxLatency: String?
            public var bodyContains: String?

            public init(status: [Int]? = nil, maxLatency: String? = nil, bodyContains: String? = nil) {
                self.status = status
                self.maxLatency = maxLatency
                self.bodyContains = bodyContains
            }
        }
    }
}

/// `status` of a Canary: where the rollout is, and how it got there.
public struct CanaryStatus: Codable, Sendable, Hashable {
    public var phase: CanaryPhase?
    /// The index of the step being held (0-based), while progressing or paused.
    public var step: Int?
    public var weights: [RouteRuleSelector.Backend]?
    public var lastTransitionTime: String?
    public var revision: String?
    public var observedGeneration: Int64?
    public var conditions: [Condition]?
    public var history: [HistoryEntry]?
    /// What the state machine needs to resume after a restart.
    public var rollout: RolloutRecord?

    public init() {}

    /// One transition, in order; the record a restarted agent must continue without gaps or repeats.
    public struct HistoryEntry: Codable, Sendable, Hashable {
        public var time: String
        public var revision: String?
        public var step: Int?
        public var weights: [Int]?
        public var event: String
        public var message: String

        public init(time: String, revision: String?, step: Int?, weights: [Int]?, event: String, message: String) {
            self.time = time
            self.revision = revision
            self.step = step
            self.weights = weights
            self.event = event
            self.message = message
        }
    }
}

