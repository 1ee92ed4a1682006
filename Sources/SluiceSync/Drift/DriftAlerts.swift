import Foundation
import SluiceModel

/// The drift detector's webhook.
public typealias DriftAlerts = AlertWebhook

extension AlertWebhook {
    /// The webhook body for one drift event:
    /// `{"status": "firing"|"resolved", "reason": "DriftDetected"|"DriftCorrected"|"DriftResolved", "target", "mode", "time", ...report}`.
    public static func body(reason: String, target: String, mode: DriftMode, report: DriftReport, time: Date) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("status", .string(reason == DriftDetector.Reason.detected ? "firing" : "resolved")),
            ("reason", .string(reason)), ("target", .string(target)), ("mode", .string(mode.rawValue)),
            ("time", .string(KubernetesTime.time(time))),
        ]
        if case .object(let report) = report.json { members += report.map { ($0.key, $0.value) } }
        return .object(.init(uniqueKeysWithValues: members))
    }
}
