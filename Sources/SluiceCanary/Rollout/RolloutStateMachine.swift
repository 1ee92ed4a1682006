import Foundation

/// The canary rollout of one route rule, as a pure state machine: each input returns the action
/// its owner must carry out (apply weights, record a transition), and time comes from a `Clock`
/// so tests drive it.
///
/// Git says where the rule's weights should end up; the machine walks there through
/// `Configuration.steps`, holding each step at least `interval` and moving on only while the
/// evidence meets `successRate` over at least `minRequests` samples. After `failureLimit` failed
/// checks it goes back to the last promoted weights and refuses that revision until Git changes.
public struct RolloutStateMachine<C: Clock>: Sendable where C.Duration == Duration {
    /// The parts of a Canary's spec the machine follows.
    public struct Configuration: Sendable, Hashable {
        public var steps: [Int]
        public var interval: Duration
        public var successRate: Double
        public var minRequests: Int
        public var failureLimit: Int
        public var gates: Set<ManualGate>

        public init(
            steps: [Int] = [10, 50, 100], interval: Duration = .seconds(30), successRate: Double = 0.99,
            minRequests: Int = 20, failureLimit: Int = 2, gates: Set<ManualGate> = []
        ) {
            self.steps = steps
            self.interval = interval
            self.successRate = successRate
            self.minRequests = minRequests
            self.failureLimit = failureLimit
            self.gates = gates
        }
    }

    public let configuration: Configuration
    public private(set) var phase: CanaryPhase = .idle
    /// The revision whose weights are being rolled out, or were last applied.
    public private(set) var revision: String?
    public private(set) var plan: WeightPlan?
    /// The index into `plan.steps` being held, while progressing or paused mid-rollout.
    public private(set) var step: Int?
    /// The last promoted weights: where a rollback goes.
    public private(set) var stableWeights: [Int]?
    public private(set) var rejectedRevision: String?
    public private(set) var failedChecks = 0
    public private(set) var pauseReason: PauseReason?
    /// Samples of the current check window.
    public private(set) var evidence = Evidence()
    private var stepStartedAt: C.Instant?

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Resumes from a record written before a restart. The step is held again for a whole
    /// `interval` from `now`, with fresh evidence: nothing is skipped, and a step is never
    /// passed on evidence from before the restart.
    public init(configuration: Configuration, restoring record: RolloutRecord, now: C.Instant) {
        self.configuration = configuration
        phase = record.phase
        revision = record.revision
        plan = record.plan
        step = record.step
        stableWeights = record.stableWeights
        rejectedRevision = record.rejectedRevision
        failedChecks = record.failedChecks
        pauseReason = record.pauseReason
        if phase == .progressing { stepStartedAt = now }
    }

    public var record: RolloutRecord {
        RolloutRecord(
            phase: phase, revision: revision, plan: plan, step: step, stableWeights: stableWeights,
            rejectedRevision: rejectedRevision, failedChecks: failedChecks, pauseReason: pauseReason)
    }

    /// The weights the rule should carry now, or nil when Git's own weights apply unchanged.
    public var weights: [Int]? {
        switch phase {
        case .idle, .promoted: nil
        case .progressing, .paused: step.flatMap { plan?.weights(atStep: $0) } ?? plan?.stable
        case .rolledBack: stableWeights
        }
    }

    // MARK: - Inputs

    /// A revision from Git asks for `desired` weights while `live` weights serve.
    public mutating func revisionArrived(_ revision: String, desired: [Int], live: [Int], at now: C.Instant) -> RolloutAction {
        // The rolled-back revision is not retried; its RolloutFailed event already said so.
        if phase == .rolledBack, revision == rejectedRevision { return .none }
        switch phase {
        case .progressing, .paused:
            // A commit that leaves this rule's weights alone does not restart the rollout.
            if let plan, desired == plan.target {
                self.revision = revision
                return .none
            }
        case .idle, .promoted:
            // Git asks for what was last applied or promoted: nothing to walk through, even
            // when the live route still lags (a promotion by hand is applied by the very sync
            // that brings this revision here again).
            if self.revision != nil, desired == live || desired == stableWeights {
                self.revision = revision
                stableWeights = desired
                return .none
            }
        case .rolledBack:
            break
        }
        switch phase {
        case .idle, .promoted, .rolledBack:
            stableWeights = live
        case .progressing, .paused:
            // A new revision mid-rollout starts again from what serves now; a rollback still
            // returns to the weights promoted last.
            if stableWeights?.count != live.count { stableWeights = live }
        }
        let plan = WeightPlan(stable: live, target: desired, steps: configuration.steps)
        self.revision = revision
        rejectedRevision = nil
        failedChecks = 0
        evidence = Evidence()
        guard plan.needsRollout, !configuration.steps.isEmpty else {
            self.plan = nil
            phase = .idle
            step = nil
            pauseReason = nil
            stableWeights = desired
            return .apply(weights: desired, .appliedAtOnce(revision: revision))
        }
        self.plan = plan
        if configuration.gates.contains(.beforeRollout) {
            phase = .paused
            step = nil
            pauseReason = .gate(.beforeRollout)
            return .record(.paused(.gate(.beforeRollout)))
        }
        return enter(step: 0, at: now, transition: .started(revision: revision, step: 0))
    }

    /// One sample (a probe result or a request the proxy carried to the new backends).
    public mutating func observe(success: Bool, detail: @autoclosure () -> String = "") {
        guard phase == .progressing else { return }
        evidence.record(success: success, detail: detail())
    }

    /// Samples counted elsewhere and handed over together.
    public mutating func observe(_ batch: Evidence) {
        guard phase == .progressing else { return }
        evidence.add(batch)
    }

    /// Judges the current window: the owner calls this periodically (every probe period).
    public mutating func evaluate(at now: C.Instant) -> RolloutAction {
        guard phase == .progressing, let step, let plan, let started = stepStartedAt else { return .none }
        switch evidence.verdict(successRate: configuration.successRate, minRequests: configuration.minRequests) {
        case .insufficient:
            return .none
        case .failing:
            failedChecks += 1
            let failure = CheckFailure(
                step: step, evidence: evidence, requiredSuccessRate: configuration.successRate,
                minRequests: configuration.minRequests)
            evidence = Evidence()
            guard failedChecks >= configuration.failureLimit else {
                return .record(.checkFailed(failure, remaining: configuration.failureLimit - failedChecks))
            }
            phase = .rolledBack
            rejectedRevision = revision
            stepStartedAt = nil
            return .apply(weights: stableWeights ?? plan.stable, .rolledBack(failure))
        case .passing:
            guard started.duration(to: now) >= configuration.interval else { return .none }
            return advance(from: step, plan: plan, at: now)
        }
    }

    /// Holds the current step until `resume`.
    public mutating func pause(at now: C.Instant) -> RolloutAction {
        guard phase == .progressing else { return .none }
        phase = .paused
        pauseReason = .manual
        stepStartedAt = nil
        // Samples from before a pause say nothing about the step after it.
        evidence = Evidence()
        return .record(.paused(.manual))
    }

    /// Goes on from a pause or through a manual gate.
    public mutating func resume(at now: C.Instant) -> RolloutAction {
        guard phase == .paused, let plan else { return .none }
        let reason = pauseReason
        pauseReason = nil
        switch reason {
        case .gate(.beforeRollout):
            return enter(step: 0, at: now, transition: .started(revision: revision ?? "", step: 0))
        case .gate(.beforePromotion):
            return passGate(plan: plan, at: now)
        case .manual, nil:
            phase = .progressing
            evidence = Evidence()
            stepStartedAt = now
            return .record(.resumed(step: step))
        }
    }

    /// Skips the remaining steps: Git's weights, now.
    public mutating func promote(at now: C.Instant) -> RolloutAction {
        guard phase == .progressing || phase == .paused, let plan else { return .none }
        return finish(plan: plan)
    }

    /// Ends the rollout at the last promoted weights; this revision is not retried.
    public mutating func abort(reason: String, at now: C.Instant) -> RolloutAction {
        guard phase == .progressing || phase == .paused, let plan else { return .none }
        phase = .rolledBack
        pauseReason = nil
        rejectedRevision = revision
        stepStartedAt = nil
        return .apply(weights: stableWeights ?? plan.stable, .aborted(reason: reason))
    }

    // MARK: - Steps

    private mutating func enter(step index: Int, at now: C.Instant, transition: RolloutTransition) -> RolloutAction {
        guard let plan else { return .none }
        phase = .progressing
        step = index
        stepStartedAt = now
        evidence = Evidence()
        return .apply(weights: plan.weights(atStep: index), transition)
    }

    private mutating func advance(from index: Int, plan: WeightPlan, at now: C.Instant) -> RolloutAction {
        let next = index + 1
        let promotesNext = next >= plan.steps.count || plan.steps[next] >= 100
        let alreadyAtTarget = plan.steps[index] >= 100
        if promotesNext, !alreadyAtTarget, configuration.gates.contains(.beforePromotion) {
            phase = .paused
            pauseReason = .gate(.beforePromotion)
            stepStartedAt = nil
            return .record(.paused(.gate(.beforePromotion)))
        }
        guard next < plan.steps.count else { return finish(plan: plan) }
        return enter(step: next, at: now, transition: .advanced(step: next))
    }

    /// Past the promotion gate: the step that carries Git's weights, or promotion itself.
    private mutating func passGate(plan: WeightPlan, at now: C.Instant) -> RolloutAction {
        let next = (step ?? -1) + 1
        guard next < plan.steps.count else { return finish(plan: plan) }
        return enter(step: next, at: now, transition: .advanced(step: next))
    }

    private mutating func finish(plan: WeightPlan) -> RolloutAction {
        phase = .promoted
        pauseReason = nil
        stepStartedAt = nil
        step = nil
        stableWeights = plan.target
        failedChecks = 0
        return .apply(weights: plan.target, .promoted(revision: revision ?? ""))
    }
}

/// The phases of a Canary's status.
public enum CanaryPhase: String, Sendable, Hashable, Codable, CaseIterable {
    case idle = "Idle"
    case progressing = "Progressing"
    case paused = "Paused"
    case promoted = "Promoted"
    case rolledBack = "RolledBack"
}

/// Where a rollout waits for a person (`spec.manualGates`).
public enum ManualGate: String, Sendable, Hashable, Codable, CaseIterable {
    /// Before the first step moves any traffic.
    case beforeRollout
    /// Before the new backends get Git's full weights.
    case beforePromotion
}

/// What the owner does after an input.
public enum RolloutAction: Sendable, Hashable {
    /// Nothing changed.
    case none
    /// Overlay these weights on the rule and apply the route; record the transition.
    case apply(weights: [Int], RolloutTransition)
    /// Weights stay as they are; record the transition (status, Event, log).
    case record(RolloutTransition)
}

/// A change worth recording in the Canary's status and as an Event.
public enum RolloutTransition: Sendable, Hashable {
    /// Git's weights were applied directly: nothing to walk through.
    case appliedAtOnce(revision: String)
    case started(revision: String, step: Int)
    case advanced(step: Int)
    case promoted(revision: String)
    /// A check failed; `remaining` more failures roll back.
    case checkFailed(CheckFailure, remaining: Int)
    case rolledBack(CheckFailure)
    case aborted(reason: String)
    case paused(PauseReason)
    case resumed(step: Int?)
}

public enum PauseReason: Sendable, Hashable, Codable {
    /// `sluice canary pause` or the pause annotation.
    case manual
    /// Waiting at a manual gate until `promote` or `resume`.
    case gate(ManualGate)
}

/// The evidence of a failed check, for the status, the Event and the log.
public struct CheckFailure: Sendable, Hashable, Codable {
    public var step: Int
    public var evidence: Evidence
    public var requiredSuccessRate: Double
    public var minRequests: Int

    public var summary: String {
        let rate = evidence.successRate.map { String(format: "%.1f%%", $0 * 100) } ?? "n/a"
        let required = String(format: "%.1f%%", requiredSuccessRate * 100)
        var text = "success rate \(rate) over \(evidence.samples) samples, below the required \(required)"
        if !evidence.failedSamples.isEmpty { text += "; failed samples: " + evidence.failedSamples.joined(separator: "; ") }
        return text
    }
}

/// What survives a restart: the Canary's status holds it.
public struct RolloutRecord: Sendable, Hashable, Codable {
    public var phase: CanaryPhase
    public var revision: String?
    public var plan: WeightPlan?
    public var step: Int?
    public var stableWeights: [Int]?
    public var rejectedRevision: String?
    public var failedChecks: Int
    public var pauseReason: PauseReason?
}
