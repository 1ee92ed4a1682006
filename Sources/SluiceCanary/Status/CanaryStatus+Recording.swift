import Foundation
import SluiceModel

/// An Event to write on the Canary for a transition (Kubernetes `core/v1` Event fields).
public struct CanaryEvent: Sendable, Hashable {
    public enum EventType: String, Sendable, Hashable {
        case normal = "Normal"
        case warning = "Warning"
    }

    public var type: EventType
    public var reason: String
    public var message: String
}

extension CanaryStatus {
    /// How many transitions the status keeps; older ones are dropped first.
    public static let historyLimit = 50

    /// Brings the status up to date after `transition`, and returns the Event that reports it.
    ///
    /// Only transitions are recorded, each once: a restarted agent resumes from `rollout`
    /// without a new entry, so the history never skips or repeats a step.
    public mutating func record(
        _ transition: RolloutTransition, machine: RolloutRecord, backends: [RouteRuleSelector.Backend], weights: [Int],
        generation: Int64?, at time: Date
    ) -> CanaryEvent {
        let timestamp = Self.timestamp(time)
        let event = Self.event(for: transition, record: machine, backends: backends, weights: weights)
        phase = machine.phase
        step = machine.step
        revision = machine.revision
        rollout = machine
        observedGeneration = generation ?? observedGeneration
        self.weights = zip(backends, weights).map { backend, weight in
            var current = backend
            current.weight = weight
            return current
        }
        lastTransitionTime = timestamp
        conditions = Self.conditions(phase: machine.phase, reason: event.reason, message: event.message, generation: generation, at: timestamp)
        var entries = history ?? []
        entries.append(HistoryEntry(
            time: timestamp, revision: machine.revision, step: machine.step, weights: weights, event: event.reason, message: event.message))
        history = Array(entries.suffix(Self.historyLimit))
        return event
    }

    static func event(
        for transition: RolloutTransition, record: RolloutRecord, backends: [RouteRuleSelector.Backend], weights: [Int]
    ) -> CanaryEvent {
        let split = zip(backends, weights).map { "\($0.0.name) \($0.1)" }.joined(separator: " / ")
        let steps = record.plan?.steps.count ?? 0
        switch transition {
        case .appliedAtOnce(let revision):
            return CanaryEvent(type: .normal, reason: "WeightsApplied", message: "revision \(revision): \(split), no steps needed")
        case .started(let revision, let step):
            return CanaryEvent(type: .normal, reason: "RolloutStarted", message: "revision \(revision): step \(step + 1) of \(steps), \(split)")
        case .advanced(let step):
            return CanaryEvent(type: .normal, reason: "StepAdvanced", message: "step \(step + 1) of \(steps), \(split)")
        case .promoted(let revision):
            return CanaryEvent(type: .normal, reason: "Promoted", message: "revision \(revision) promoted: \(split)")
        case .checkFailed(let failure, let remaining):
            return CanaryEvent(
                type: .warning, reason: "CheckFailed",
                message: "step \(failure.step + 1): \(failure.summary); \(remaining) more failed check(s) roll back")
        case .rolledBack(let failure):
            return CanaryEvent(
                type: .warning, reason: "RolloutFailed",
                message: "revision \(record.revision ?? "?") rolled back to \(split) at step \(failure.step + 1): \(failure.summary); "
                    + "not retried until Git changes")
        case .aborted(let reason):
            return CanaryEvent(type: .warning, reason: "RolloutAborted", message: "rolled back to \(split): \(reason)")
        case .paused(.manual):
            return CanaryEvent(type: .normal, reason: "Paused", message: "paused at \(split)")
        case .paused(.gate(let gate)):
            return CanaryEvent(type: .normal, reason: "AwaitingApproval", message: "waiting at gate \(gate.rawValue) with \(split): promote or resume to go on")
        case .resumed:
            return CanaryEvent(type: .normal, reason: "Resumed", message: "resumed at \(split)")
        }
    }

    /// `Ready` and `Reconciling`, in the kstatus convention tools like Flux and kubectl wait on.
    static func conditions(phase: CanaryPhase, reason: String, message: String, generation: Int64?, at time: String) -> [Condition] {
        let ready: String = switch phase {
        case .idle, .promoted: "True"
        case .rolledBack: "False"
        case .progressing, .paused: "Unknown"
        }
        var conditions = [
            Condition(type: "Ready", status: ready, observedGeneration: generation, lastTransitionTime: time, reason: reason, message: message),
        ]
        if phase == .progressing || phase == .paused {
            conditions.append(Condition(
                type: "Reconciling", status: "True", observedGeneration: generation, lastTransitionTime: time,
                reason: phase == .paused ? "Paused" : "Progressing", message: message))
        }
        return conditions
    }

    /// RFC 3339 in UTC, to the second, as Kubernetes writes times.
    static func timestamp(_ date: Date) -> String { KubernetesTime.time(date) }
}
