import Logging
import NIOHTTP1

/// The webhook listener (`--webhook-listen`): a checked push from GitHub, GitLab or a generic
/// sender makes the agent fetch at once; anything refused is answered with its status and
/// nothing else happens.
struct WebhookEndpoint: Sendable {
    let receiver: WebhookReceiver
    let logger: Logger
    let onPush: @Sendable () async -> Void

    func server(_ listen: AgentConfiguration.Listen) -> HTTPEndpoint {
        HTTPEndpoint(name: "webhook", host: listen.host, port: listen.port, maxBodySize: receiver.maxBodySize) { request in
            guard request.method == .POST else {
                return .init(status: .methodNotAllowed, body: "webhooks are POSTed\n")
            }
            do throws(WebhookReceiver.Refusal) {
                switch try receiver.receive(headers: request.headers.map { ($0.name, $0.value) }, body: request.body) {
                case .push(let push):
                    logger.info(
                        "webhook push from \(push.provider.rawValue)",
                        metadata: ["ref": "\(push.ref ?? "")", "revision": "\(push.revision ?? "")"])
                    await onPush()
                    return .init(status: .accepted, body: "fetching\n")
                case .ignored(let event):
                    return .init(body: "ignored event \(event)\n")
                }
            } catch {
                logger.warning("webhook refused: \(error.message)")
                return .init(status: HTTPResponseStatus(statusCode: error.status), body: error.message + "\n")
            }
        }
    }
}
