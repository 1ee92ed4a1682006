import NIOCore
import NIOHTTP1

/// One request on its way through the proxy. A connection's handler starts its next request on
/// the same object when nothing else holds it any more (`ProxyHandler.makeExchange`): `begin`
/// sets every field, so nothing of the request before stays.
final class Exchange {
    private(set) var method: HTTPMethod
    private(set) var keepAlive: Bool
    private(set) var rule: CompiledRule
    private(set) var backend: WeightedBackend
    private(set) var stats: BackendStats?
    /// By the event loop's clock (`ProxyHandler.finishRequest` reads the same clock once for this
    /// latency and the connection's idle time).
    private(set) var started: NIODeadline
    /// The copy of the request its mirrors get when it ends (nil: no mirror takes this one).
    var mirrored: MirrorCopy?
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
    /// The request asks to switch to WebSocket and goes upstream with `Upgrade: websocket`: a 101
    /// answer turns the two connections into a tunnel.
    var upgrade = false
    /// The request's `Origin`, when the rule's CORS filter allows it: the response is marked for it.
    var corsOrigin: String?

    init(
        method: HTTPMethod, keepAlive: Bool, rule: CompiledRule, backend: WeightedBackend, stats: BackendStats?,
        mirrored: MirrorCopy?, started: NIODeadline
    ) {
        self.started = started
        self.method = method
        self.keepAlive = keepAlive
        self.rule = rule
        self.backend = backend
        self.stats = stats
        self.mirrored = mirrored
    }

    /// Starts another request on this object: every field as a new one would have it.
    func begin(
        method: HTTPMethod, keepAlive: Bool, rule: CompiledRule, backend: WeightedBackend, stats: BackendStats?,
        mirrored: MirrorCopy?, started: NIODeadline
    ) {
        self.started = started
        self.method = method
        self.keepAlive = keepAlive
        self.rule = rule
        self.backend = backend
        self.stats = stats
        self.mirrored = mirrored
        requestEnded = false
        responseStarted = false
        upstreamKeepAlive = true
        status = 0
        timeout = nil
        requestChunked = false
        requestCarriesBody = false
        responseChunked = false
        responseBodyless = false
        upgrade = false
        corsOrigin = nil
    }

    func elapsed(at now: NIODeadline) -> Duration { .nanoseconds(Int64((now - started).nanoseconds)) }
}

/// A request as its mirrors get it: the head the backend got, and the body as it came, held
/// until the request ends (a mirror is sent whole, as nginx's `mirror` sends its subrequest once
/// the body is read). The mirrors that fire are picked at the head, so a body no mirror takes is
/// not held; one larger than the limit is dropped, and no mirror gets that request.
final class MirrorCopy {
    let targets: [(backend: ResolvedBackend, stats: BackendStats?)]
    private(set) var parts: [HTTPClientRequestPart]
    private var bodyBytes = 0

    init(targets: [(backend: ResolvedBackend, stats: BackendStats?)], head: HTTPRequestHead) {
        self.targets = targets
        self.parts = [.head(head)]
    }

    /// Adds body bytes; false (and nothing kept) once the body is over `limit` bytes.
    func append(_ body: ByteBuffer, limit: Int) -> Bool {
        bodyBytes += body.readableBytes
        guard bodyBytes <= limit else {
            parts.removeAll()
            return false
        }
        parts.append(.body(.byteBuffer(body)))
        return true
    }

    func end(_ trailers: HTTPHeaders?) {
        parts.append(.end(trailers))
    }
}

/// An answer the proxy writes itself.
enum DirectResponse {
    case plain(HTTPResponseStatus)
    case redirect(status: Int, location: String)
    /// The answer to a CORS preflight request: 204 with the `Access-Control-*` fields (none for
    /// an origin not allowed, which the browser then refuses).
    case preflight(fields: [(name: String, value: String)])

    var statusAndBody: (HTTPResponseStatus, String) {
        switch self {
        case .plain(let status): (status, "\(status.code) \(status.reasonPhrase)\n")
        case .redirect(let status, _): (HTTPResponseStatus(statusCode: status), "")
        case .preflight: (.noContent, "")
        }
    }
}
