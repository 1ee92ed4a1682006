import NIOCore
import NIOHTTP1

/// One request on its way through the proxy.
final class Exchange {
    let method: HTTPMethod
    let keepAlive: Bool
    let rule: CompiledRule
    let backend: WeightedBackend
    let stats: BackendStats?
    let started = NIODeadline.now()
    var mirrored: [HTTPClientRequestPart]?
    var requestEnded = false
    var responseStarted = false
    var upstreamKeepAlive = true
    var status = 0
    var timeout: Scheduled<Void>?
    /// How the request's body goes upstream, and the response's downstream (HTTP/1.1).
    var requestChunked = false
    /// The request head went upstream with a Content-Length or chunked.
    var requestCarriesBody = false
    var responseChunked = false
    /// An answer to HEAD or CONNECT: its body parts, if any came, are not forwarded.
    var responseBodyless = false

    init(
        method: HTTPMethod, keepAlive: Bool, rule: CompiledRule, backend: WeightedBackend, stats: BackendStats?,
        mirrored: [HTTPClientRequestPart]?
    ) {
        self.method = method
        self.keepAlive = keepAlive
        self.rule = rule
        self.backend = backend
        self.stats = stats
        self.mirrored = mirrored
    }

    var elapsed: Duration { .nanoseconds(Int64((NIODeadline.now() - started).nanoseconds)) }
}

/// An answer the proxy writes itself.
enum DirectResponse {
    case plain(HTTPResponseStatus)
    case redirect(status: Int, location: String)

    var statusAndBody: (HTTPResponseStatus, String) {
        switch self {
        case .plain(let status): (status, "\(status.code) \(status.reasonPhrase)\n")
        case .redirect(let status, _): (HTTPResponseStatus(statusCode: status), "")
        }
    }
}
