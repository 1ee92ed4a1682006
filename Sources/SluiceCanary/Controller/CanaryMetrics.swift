import CoreMetrics
import Metrics

/// The canary's metrics, made from one `MetricsFactory` (the agent's Prometheus registry).
///
/// - `sluice_canary_weight{canary,backend}`: the weight each backend of the rule carries now.
/// - `sluice_canary_phase{canary}`: the phase as a number (`CanaryPhase.metricValue`).
/// - `sluice_canary_step_duration_seconds{canary}`: how long each finished step was held.
/// - `sluice_canary_rollbacks_total{canary,reason}`: rollbacks (`RolloutFailed`, `RolloutAborted`),
///   the metric to alert on, as `sluice_drift_*` is for drift.
struct CanaryMetrics: Sendable {
    let factory: any MetricsFactory

    func weight(canary: String, backend: String, _ value: Int) {
        Gauge(label: "sluice_canary_weight", dimensions: [("canary", canary), ("backend", backend)], factory: factory).record(value)
    }

    func phase(canary: String, _ phase: CanaryPhase) {
        Gauge(label: "sluice_canary_phase", dimensions: [("canary", canary)], factory: factory).record(phase.metricValue)
    }

    func stepDuration(canary: String, _ duration: Duration) {
        Timer(label: "sluice_canary_step_duration_seconds", dimensions: [("canary", canary)], factory: factory).record(duration: duration)
    }

    func rollback(canary: String, reason: String) {
        Counter(label: "sluice_canary_rollbacks_total", dimensions: [("canary", canary), ("reason", reason)], factory: factory).increment()
    }
}

extension CanaryPhase {
    /// The value of `sluice_canary_phase`: Idle 0, Progressing 1, Paused 2, Promoted 3, RolledBack 4.
    public var metricValue: Int {
        switch self {
        case .idle: 0
        case .progressing: 1
        case .paused: 2
        case .promoted: 3
        case .rolledBack: 4
        }
    }
}
