import AsyncHTTPClient
import Foundation
import Logging
import SluiceModel

/// Where rollbacks are reported besides the cluster: an optional generic webhook, as for drift
/// (Alertmanager and Slack bridges take a JSON POST). The Event and the metric are always written.
public struct CanaryAlerts: Sendable, Hashable {
    /// The URL rollbacks are POSTed to as JSON; nil for none.
    public var webhookURL: String?
    /// Extra request headers (an `Authorization` token, a routing key).
    public var headers: [String: String]
    /// How long one POST may take before it is given up (and logged).
    public var timeout: Duration

    public init(webhookURL: String? = nil, headers: [String: String] = [:], timeout: Duration = .seconds(5)) {
        self.webhookURL = webhookURL
        self.headers = headers
        self.timeout = timeout
    }

    /// The webhook body for one rollback:
    /// `{"status": "firing", "reason": "RolloutFailed"|"RolloutAborted", "canary", "revision", "time", "message"}`.
    public static func body(reason: String, canary: String, revision: String?, message: String, time: Date) -> JSONValue {
        [
            "status": "firing", "reason": .string(reason), "canary": .string(canary),
            "revision": revision.map { .string($0) } ?? .null, "time": .string(KubernetesTime.time(time)),
            "message": .string(message),
        ]
    }

    /// POSTs `body`; failures are logged, never thrown: an unreachable bridge must not stop a rollback.
    func post(_ body: JSONValue, logger: Logger) async {
        guard let webhookURL else { return }
        var request = HTTPClientRequest(url: webhookURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "sluice-canary")
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { request.headers.replaceOrAdd(name: name, value: value) }
        request.body = .bytes(Array(body.jsonText().utf8))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .nanoseconds(ProbeSender.nanoseconds(timeout)))
            _ = try await response.body.collect(upTo: 1 << 20)
            if response.status.code >= 300 {
                logger.warning("canary webhook answered \(response.status.code)", metadata: ["url": "\(webhookURL)"])
            }
        } catch {
            logger.warning("canary webhook failed: \(error)", metadata: ["url": "\(webhookURL)"])
        }
    }
}
