import NIOCore
import NIOHTTP1

/// Serves one downstream HTTP/1.1 connection, reading its bytes with `RequestParser`, or one
/// HTTP/2 stream behind NIO's HTTP/2-to-HTTP/1 codec (`StreamRequestReader` hands it the parts):
/// routes each request with the current RouteTable, answers redirects and errors itself, and
/// forwards the rest over a pooled upstream connection. Requests on a connection are handled one at
/// a time: the bytes of a pipelined request stay unread in `unread` until the response before it
/// has ended (what NIO's `HTTPServerPipelineHandler` would do, without its hops per part and
/// without pausing reads on every request, which costs two `epoll_ctl` calls per request). An
/// HTTP/2 stream carries exactly one request.
final class ProxyHandler: ChannelDuplexHandler, UpstreamDelegate {
    /// HTTP/1.1: the connection's bytes. (An HTTP/2 stream's parts come through `streamRead`.)
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    let tables: TableBox
    /// The table the last request was routed by, kept while it is still the current one.
    var tableReading: TableBox.Reading?
    let pool: UpstreamPool
    let mirrors: MirrorSender
    /// The socket the connection came in on: its port and address pick the listeners.
    let socket: ListenerSocket
    var listenerPort: Int { socket.port }
    let limits: ProxyConfiguration.Limits
    /// On an HTTP/2 stream there is no keep-alive or `Connection` header to honour (the stream ends
    /// with its response) and the connection's idle timer is `HTTP2IdleHandler`'s.
    let isHTTP2Stream: Bool
    /// The server name of the connection's TLS handshake (normalized), if the client named one: a
    /// request whose Host another listener serves is answered 421 (Misdirected Request).
    let tlsServerName: String?
    var context: ChannelHandlerContext?
    /// Becomes `.idle` only through `finishRequest` (a `didSet` ran on every change of state).
    var state = State.idle
    /// Told when a head arrives and when its response ends, so it times only the reading of heads.
    let headerDeadline: HeaderReadDeadline?
    /// When the connection last became idle. One timer per connection checks it, so requests do not
    /// each schedule and cancel a timer.
    var idleSince = NIODeadline.uptimeNanoseconds(0)
    /// The pending idle check: it holds the handler, so it is cancelled when the handler goes.
    /// (Nothing refers to a ProxyHandler weakly: one weak reference gives an object a side table,
    /// and every retain and release of it then takes the runtime's slow path.)
    var idleCheck: Scheduled<Void>?
    /// The request's bytes not yet handed to the upstream (all of them while connecting): they go
    /// out together when this read batch ends or with the request's end, one buffer and one write
    /// to the socket rather than one per part.
    var upstreamBytes: ByteBuffer?
    /// The response's bytes not yet handed downstream (HTTP/1.1): written and flushed when the
    /// upstream's read batch ends or with the response's end.
    var downstreamBytes: ByteBuffer?
    /// Where each request's and each response's bytes are written, kept across requests.
    var upstreamBuffer = RecycledBuffer()
    var downstreamBuffer = RecycledBuffer()
    /// Response parts were written downstream but not flushed (HTTP/2 stream): flushed when the
    /// upstream's read batch ends (or with the response's end).
    var downstreamFlushPending = false
    var parser = RequestParser()
    /// Bytes read and not served yet: the rest of a head, or requests a pipelining client sent
    /// before the response to the one before them had ended.
    var unread: ByteBuffer?
    /// Reads are paused while a pipelined request waits in `unread`, so a client cannot make it
    /// grow without bound; `serveUnread` resumes them.
    var readHeld = false
    var serving = false
    /// The Host of the connection's last request and its normalized hostname (`requestHost`).
    var lastHost = (value: "", hostname: "")
    /// The last request's exchange, used again for the next one once nothing else holds it (a
    /// keep-alive connection then allocates none per request).
    var spareExchange: Exchange?
    /// The route entries for the last hostname in the last table (`RouteTable.candidates`), and
    /// whether that hostname is misdirected (see `tlsServerName`).
    var lastCandidates: (table: InstalledTable, hostname: String, candidates: RouteTable.Candidates?, misdirected: Bool)?

    enum State {
        case idle
        /// The proxy answers itself once the request body has been read.
        case direct(DirectResponse, keepAlive: Bool, method: HTTPMethod)
        /// The request's bytes wait in `upstreamBytes`.
        case connecting(Exchange)
        case forwarding(Exchange, UpstreamConnection)
        /// The upstream switched protocols (WebSocket): bytes are relayed both ways as they come
        /// until either side closes.
        case tunnel(UpstreamConnection)
        case closed
    }

    init(
        tables: TableBox, pool: UpstreamPool, socket: ListenerSocket, limits: ProxyConfiguration.Limits,
        isHTTP2Stream: Bool = false, tlsServerName: String? = nil, headerDeadline: HeaderReadDeadline? = nil
    ) {
        self.headerDeadline = headerDeadline
        self.tables = tables
        self.pool = pool
        self.mirrors = MirrorSender(pool: pool)
        self.socket = socket
        self.limits = limits
        self.isHTTP2Stream = isHTTP2Stream
        self.tlsServerName = tlsServerName
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        idleSince = context.eventLoop.now
        headerDeadline?.start(context: context)
        if !isHTTP2Stream { checkIdle(after: limits.idleTimeout) }
    }

    /// On an HTTP/2 stream a malformed request (NIOHTTP2's header validation, the codec's
    /// pseudo-headers) resets that stream only.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if isHTTP2Stream {
            resetStream(context: context)
            return
        }
        context.fireErrorCaught(error)
    }

    func resetStream(context: ChannelHandlerContext) {
        abandonUpstream()
        state = .closed
        context.close(promise: nil)
    }

    /// The request parser refused the bytes (ambiguous framing, a malformed head or chunk): 400
    /// and close (heads are parsed only once the responses owed before them have ended);
    /// nothing more is read from this connection.
    func parseFailed(context: ChannelHandlerContext) {
        unread = nil
        switch state {
        case .idle:
            write(.plain(.badRequest), method: .GET, keepAlive: false, context: context)
        case .direct(_, _, let method):
            write(.plain(.badRequest), method: method, keepAlive: false, context: context)
        case .connecting(let exchange), .forwarding(let exchange, _):
            // The request itself is broken: the upstream never gets the rest of it.
            exchange.timeout?.cancel()
            abandonUpstream()
            exchange.stats?.recordResponse(status: 400, latency: exchange.elapsed(at: context.eventLoop.now))
            if exchange.responseStarted {
                state = .closed
                context.close(promise: nil)
            } else {
                write(.plain(.badRequest), method: exchange.method, keepAlive: false, context: context)
            }
        case .tunnel, .closed:
            break
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        headerDeadline?.stop()
        idleCheck?.cancel()
        idleCheck = nil
        abandonUpstream()
        self.context = nil
        state = .closed
    }

    func channelInactive(context: ChannelHandlerContext) {
        abandonUpstream()
        state = .closed
        context.fireChannelInactive()
    }

    /// Closes the connection if it has been idle for the whole timeout; otherwise looks again when
    /// it could next have been.
    func checkIdle(after delay: TimeAmount) {
        guard let context else { return }
        idleCheck = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { () -> Void in
            self.idleCheck = nil
            guard let context = self.context else { return }
            switch self.state {
            case .idle, .tunnel:
                // A tunnel counts as idle while no byte passes either way (nginx's
                // proxy_read_timeout for WebSockets).
                let idle = context.eventLoop.now - self.idleSince
                if idle >= self.limits.idleTimeout {
                    context.close(promise: nil)
                } else {
                    self.checkIdle(after: self.limits.idleTimeout - idle)
                }
            case .closed:
                return
            case .direct, .connecting, .forwarding:
                self.checkIdle(after: self.limits.idleTimeout)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .tunnel(let connection) = state {
            idleSince = context.eventLoop.now
            connection.write(unwrapInboundIn(data))
            pool.flushes.flush(connection.flushTarget)
            return
        }
        guard headerDeadline?.bytesArrived() ?? true else { return }
        var bytes = unwrapInboundIn(data)
        if var earlier = unread {
            unread = nil
            earlier.writeBuffer(&bytes)
            bytes = earlier
        }
        serve(bytes, context: context)
    }

    /// A part of the request on an HTTP/2 stream (NIO's codec turned its frames into parts).
    func streamRead(_ part: HTTPServerRequestPart) {
        guard let context else { return }
        switch part {
        case .head(let head):
            // The stream's head goes the way an HTTP/1.1 head does: written out and read again.
            guard let received = Self.received(head) else {
                resetStream(context: context)
                return
            }
            receive(received, context: context)
        case .body(let body): receiveBody(body)
        case .end(let trailers): receiveEnd(trailers, context: context)
        }
        flushUpstream()
    }

    /// An HTTP/2 request head as `RequestParser` reads it, or nil if it would not be a valid
    /// HTTP/1.1 head.
    static func received(_ head: HTTPRequestHead) -> ReceivedRequestHead? {
        var bytes = ByteBuffer()
        HTTP1Writer.writeRequestHead(
            method: head.method, uri: head.uri, headers: head.headers,
            framing: HTTP1Writer.Framing(chunked: false, replacesTransferEncoding: false), into: &bytes)
        var parser = RequestParser()
        guard case .head(let received)? = try? parser.next(&bytes) else { return nil }
        return received
    }

    func handle(_ part: RequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head): receive(head, context: context)
        case .body(let body): receiveBody(body)
        case .end(let trailers): receiveEnd(trailers, context: context)
        }
    }

    /// The request is done with and the connection waits for the next one, idle since `now` (the
    /// event loop's clock, read by the caller if it had it: an embedded loop's clock is not
    /// `NIODeadline.now()`).
    func finishRequest(at now: NIODeadline? = nil) {
        state = .idle
        idleSince = now ?? context?.eventLoop.now ?? idleSince
        headerDeadline?.requestFinished()
    }

    var isIdle: Bool {
        if case .idle = state { return true }
        return false
    }

    /// A pipelined request waits for the response before it.
    var waitsForResponse: Bool {
        unread != nil && parser.isBetweenRequests && !isIdle
    }

    /// A request body goes upstream no faster than its connection takes it: while that
    /// connection's outbound buffer is past NIO's high watermark (before it is connected: while
    /// that much waits for it), the client is not read, instead of the proxy holding what the
    /// client sends faster than the upstream reads.
    var requestBodyHeldBack: Bool {
        switch state {
        case .forwarding(let exchange, let connection): !exchange.requestEnded && !connection.channel.isWritable
        case .connecting(let exchange): !exchange.requestEnded && (upstreamBytes?.readableBytes ?? 0) >= Self.bodyWaitingLimit
        case .idle, .direct, .tunnel, .closed: false
        }
    }

    /// NIO's default high watermark for a channel's outbound buffer.
    static let bodyWaitingLimit = 64 * 1024

    func read(context: ChannelHandlerContext) {
        if waitsForResponse || requestBodyHeldBack {
            readHeld = true
        } else {
            context.read()
        }
    }

    /// Reads again if a read was held back and nothing holds it any more.
    func resumeHeldRead() {
        guard readHeld, !waitsForResponse, !requestBodyHeldBack, let context else { return }
        readHeld = false
        context.read()
    }

    /// Serves what has been read, in order, up to a request that has to wait for the response
    /// before it; called again whenever a response ends.
    func serveUnread(context: ChannelHandlerContext) {
        guard let bytes = unread else {
            // A read held for a request body whose exchange has ended.
            resumeHeldRead()
            return
        }
        unread = nil
        serve(bytes, context: context)
    }

    /// Serves `bytes` (read now, or kept in `unread`), keeping what has to wait in `unread`.
    private func serve(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        guard !serving else {
            // Read while earlier bytes are being served: they wait behind those.
            if var earlier = unread {
                var later = bytes
                earlier.writeBuffer(&later)
                unread = earlier
            } else {
                unread = bytes
            }
            return
        }
        var bytes = bytes
        serving = true
        while true {
            if case .closed = state {
                bytes.clear()
                break
            }
            if parser.isBetweenRequests && !isIdle { break }
            let part: RequestPart?
            do {
                part = try parser.next(&bytes)
            } catch {
                bytes.clear()
                parseFailed(context: context)
                break
            }
            guard let part else { break }
            handle(part, context: context)
        }
        serving = false
        if bytes.readableBytes > 0 {
            if var later = unread { bytes.writeBuffer(&later) }
            unread = bytes
        }
        flushUpstream()
        resumeHeldRead()
    }
}
