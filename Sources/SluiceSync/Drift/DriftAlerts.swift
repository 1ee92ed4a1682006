import AsyncHTTPClient
import Foundation
import Logging
import SluiceModel

/// Where drift is reported besides the cluster: an optional generic webhook (Alertmanager and
/// Slack bridges take a JSON POST). The Kubernetes Event is always written, alerts or not.
public struct DriftAlerts: Sendable, Hashable {
    /// The URL drift reports are POSTed to as JSON; nil for none.
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

    /// POSTs `body`; failures are logged, never thrown: an unreachable bridge must not stop the
    /// detector.
    func post(_ body: JSONValue, logger: Logger) async {
        guard let webhookURL else { return }
        var request = HTTPClientRequest(url: webhookURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "sluice-drift")
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { request.headers.replaceOrAdd(name: name, value: value) }
        request.body = .bytes(Array(body.jsonText().utf8))
        do {
            let seconds = Int64(timeout.components.seconds) + (timeout.components.attoseconds > 0 ? 1 : 0)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(seconds))
            _ = try await response.body.collect(upTo: 1 << 20)
            if response.status.code >= 300 {
                logger.warning("drift webhook answered \(response.status.code)", metadata: ["url": "\(webhookURL)"])
            }
        } catch {
            logger.warning("drift webhook failed: \(error)", metadata: ["url": "\(webhookURL)"])
        }
    }
}
