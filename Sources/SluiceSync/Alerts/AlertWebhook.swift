import AsyncHTTPClient
import Foundation
import Logging
import SluiceModel

/// Where drift and canary rollbacks are reported besides the cluster: an optional generic
/// webhook (Alertmanager and Slack bridges take a JSON POST). The Kubernetes Event is always
/// written, alerts or not. `DriftAlerts` and `CanaryAlerts` are this, each with its own body.
public struct AlertWebhook: Sendable, Hashable {
    /// The URL reports are POSTed to as JSON; nil for none.
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

    /// POSTs `body`; failures are logged, never thrown: an unreachable bridge must not stop the
    /// detector or a rollback.
    public func post(_ body: JSONValue, logger: Logger) async {
        guard let webhookURL else { return }
        var request = HTTPClientRequest(url: webhookURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "sluice")
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { request.headers.replaceOrAdd(name: name, value: value) }
        request.body = .bytes(Array(body.jsonText().utf8))
        let (seconds, attoseconds) = timeout.components
        do {
            let response = try await HTTPClient.shared.execute(
                request, timeout: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
            _ = try await response.body.collect(upTo: 1 << 20)
            if response.status.code >= 300 {
                logger.warning("alert webhook answered \(response.status.code)", metadata: ["url": "\(webhookURL)"])
            }
        } catch {
            logger.warning("alert webhook failed: \(error)", metadata: ["url": "\(webhookURL)"])
        }
    }
}
