import Foundation
import SluiceModel
import SluiceSync

/// The canary controller's webhook for rollbacks (the same generic webhook as drift's).
public typealias CanaryAlerts = AlertWebhook

extension AlertWebhook {
    /// The webhook body for one rollback:
    /// `{"status": "firing", "reason": "RolloutFailed"|"RolloutAborted", "canary", "revision", "time", "message"}`.
    public static func body(reason: String, canary: String, revision: String?, message: String, time: Date) -> JSONValue {
        [
            "status": "firing", "reason": .string(reason), "canary": .string(canary),
            "revision": revision.map { .string($0) } ?? .null, "time": .string(KubernetesTime.time(time)),
            "message": .string(message),
        ]
    }
}
