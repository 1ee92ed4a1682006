/// What was seen of the backends a rollout is moving traffic to, during one check window:
/// probe results and the proxy's own counters, each request a sample.
public struct Evidence: Sendable, Hashable, Codable {
    public var successes = 0
    public var failures = 0
    /// A few failed samples, kept to say why a check failed (`probe health: status 500`).
    public var failedSamples: [String] = []

    /// How many failed samples are kept for the record.
    public static let keptSamples = 5

    public init(successes: Int = 0, failures: Int = 0, failedSamples: [String] = []) {
        self.successes = successes
        self.failures = failures
        self.failedSamples = failedSamples
    }

    public var samples: Int { successes + failures }

    /// The share of successful samples, or nil before any sample.
    public var successRate: Double? { samples > 0 ? Double(successes) / Double(samples) : nil }

    public mutating func record(success: Bool, detail: @autoclosure () -> String = "") {
        if success {
            successes += 1
        } else {
            failures += 1
            if failedSamples.count < Self.keptSamples { failedSamples.append(detail()) }
        }
    }

    public mutating func add(_ other: Evidence) {
        successes += other.successes
        failures += other.failures
        failedSamples += other.failedSamples.prefix(max(0, Self.keptSamples - failedSamples.count))
    }

    /// What this window says against `successRate` with at least `minRequests` samples.
    ///
    /// A window is failing as soon as it cannot pass any more: with 99% required of at least 20
    /// samples, one failure among the first 19 already decides it, so a broken backend is
    /// rolled back after `failureLimit` failures rather than `failureLimit` full windows.
    public func verdict(successRate required: Double, minRequests: Int) -> Verdict {
        let needed = max(samples, minRequests, 1)
        let bestPossible = Double(needed - failures) / Double(needed)
        if bestPossible < required { return .failing }
        return samples >= minRequests ? .passing : .insufficient
    }

    public enum Verdict: Sendable, Hashable {
        case passing
        case failing
        /// Fewer than `minRequests` samples and not yet decided.
        case insufficient
    }
}
