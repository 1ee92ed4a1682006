import Metrics
import SluiceSync

/// The sync's metrics (docs/metrics.md): runs by result, objects by action, and how long a sync
/// took, per target.
struct SyncMetrics: Sendable {
    let factory: any MetricsFactory

    func succeeded(target: String, changes: ChangeSet, seconds: Duration) {
        Counter(label: "sluice_sync_total", dimensions: [("target", target), ("result", "succeeded")], factory: factory).increment()
        for action in ChangeSet.Action.allCases {
            let count = changes.count(action)
            guard count > 0 else { continue }
            Counter(label: "sluice_sync_objects_total", dimensions: [("target", target), ("action", action.rawValue)], factory: factory)
                .increment(by: count)
        }
        Metrics.Timer(label: "sluice_sync_duration_seconds", dimensions: [("target", target)], preferredDisplayUnit: .seconds, factory: factory)
            .record(duration: seconds)
        Gauge(label: "sluice_sync_ready", dimensions: [("target", target)], factory: factory).record(1)
    }

    func failed(target: String, stage: String) {
        Counter(label: "sluice_sync_total", dimensions: [("target", target), ("result", "failed")], factory: factory).increment()
        Counter(label: "sluice_sync_failures_total", dimensions: [("target", target), ("stage", stage)], factory: factory).increment()
        if target != "*" { Gauge(label: "sluice_sync_ready", dimensions: [("target", target)], factory: factory).record(0) }
    }
}
