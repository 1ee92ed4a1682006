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

    private let tables: TableBox
    private let pool: UpstreamPool
    private let mirrors: MirrorSender
    private let listenerPort: Int
    private let limits: ProxyConfiguration.Limits
    /// On an HTTP/2 stream there is no keep-alive or `Connection` header to honour (the stream ends
    /// with its response) and the connection's idle timer is `HTTP2IdleHandler`'s.
    private let isHTTP2Stream: Bool
    private var context: ChannelHandlerContext?
    private var state = State.idle {
        didSet {
            if case .idle = state {
                idleSince = context?.eventLoop.now ?? idleSince
                headerDeadline?.requestFinished()
            }
        }
    }
    /// Told when a head arrives and when its response ends, so it times only the reading of heads.
    private let headerDeadline: HeaderReadDeadline?
    /// When the connection last became idle. One timer per connection checks it, so requests do not
    /// each schedule and cancel a timer.
    private var idleSince = NIODeadline.uptimeNanoseconds(0)
    /// The request's bytes not yet handed to the upstream (all of them while connecting): they go
    /// out together when this read batch ends or with the request's end, one buffer and one write
    /// to the socket rather than one per part.
    private var upstreamBytes: ByteBuffer?
    /// The response's bytes not yet handed downstream (HTTP/1.1): written and flushed when the
    /// upstream's read batch ends or with the response's end.
    private var downstreamBytes: ByteBuffer?
    /// Where each request's and each response's bytes are written, kept across requests.
    private var upstreamBuffer = RecycledBuffer()
    private var downstreamBuffer = RecycledBuffer()
    /// Response parts were written downstream but not flushed (HTTP/2 stream): flushed when the
    /// upstream's read batch ends (or with the response's end).
    private var downstreamFlushPending = false
    private var parser = RequestParser()
    /// Bytes read and not served yet: the rest of a head, or requests a pipelining client sent
    /// before the response to the one before them had ended.
    private var unread: ByteBuffer?
    /// Reads are paused while a pipelined request waits in `unread`, so a client cannot make it
    /// grow without bound; `serveUnread` resumes them.
    private var readHeld = false
    private var serving = false

    private enum State {
        case idle
        /// The proxy answers itself once the request body has been read.
        case direct(DirectResponse, keepAlive: Bool, method: HTTPMethod)
        /// The request's bytes wait in `upstreamBytes`.
        case connecting(Exchange)
        case forwarding(Exchange, UpstreamConnection)
        case closed
    }

    init(
        tables: TableBox, pool: UpstreamPool, listenerPort: Int, limits: ProxyConfiguration.Limits,
        isHTTP2Stream: Bool = false, headerDeadline: HeaderReadDeadline? = nil
    ) {
        self.headerDeadline = headerDeadline
        self.tables = tables
        self.pool = pool
        self.mirrors = MirrorSender(pool: pool)
        self.listenerPort = listenerPort
        self.limits = limits
        self.isHTTP2Stream = isHTTP2Stream
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

    private func resetStream(context: ChannelHandlerContext) {
        abandonUpstream()
        state = .closed
        context.close(promise: nil)
    }

    /// The request parser refused the bytes (ambiguous framing, a malformed head or chunk): 400
    /// and close (heads are parsed only once the responses owed before them have ended);
    /// nothing more is read from this connection.
    private func parseFailed(context: ChannelHandlerContext) {
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
            exchange.stats?.recordResponse(status: 400, latency: exchange.elapsed)
            if exchange.responseStarted {
                state = .closed
                context.close(promise: nil)
            } else {
                write(.plain(.badRequest), method: exchange.method, keepAlive: false, context: context)
            }
        case .closed:
            break
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        headerDeadline?.stop()
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
    private func checkIdle(after delay: TimeAmount) {
        guard let context else { return }
        context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] () -> Void in
            guard let self, let context = self.context else { return }
            switch self.state {
            case .idle:
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
        guard headerDeadline?.bytesArrived() ?? true else { return }
        var bytes = unwrapInboundIn(data)
        if var earlier = unread {
            earlier.writeBuffer(&bytes)
            bytes = earlier
        }
        unread = bytes
        serveUnread(context: context)
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
    private static func received(_ head: HTTPRequestHead) -> ReceivedRequestHead? {
        var bytes = ByteBuffer()
        HTTP1Writer.writeRequestHead(
            method: head.method, uri: head.uri, headers: head.headers, skipping: 0,
            framing: HTTP1Writer.Framing(chunked: false, replacesTransferEncoding: false), into: &bytes)
        var parser = RequestParser()
        guard case .head(let received)? = try? parser.next(&bytes) else { return nil }
        return received
    }

    private func handle(_ part: RequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head): receive(head, context: context)
        case .body(let body): receiveBody(body)
        case .end(let trailers): receiveEnd(trailers, context: context)
        }
    }

    private var isIdle: Bool {
        if case .idle = state { return true }
        return false
    }

    /// A pipelined request waits for the response before it.
    private var waitsForResponse: Bool {
        unread != nil && parser.isBetweenRequests && !isIdle
    }

    func read(context: ChannelHandlerContext) {
        if waitsForResponse {
            readHeld = true
        } else {
            context.read()
        }
    }

    /// Serves what has been read, in order, up to a request that has to wait for the response
    /// before it; called again whenever a response ends.
    private func serveUnread(context: ChannelHandlerContext) {
        guard !serving, var bytes = unread else { return }
        serving = true
        unread = nil
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
        if bytes.readableBytes > 0 { unread = bytes }
        flushUpstream()
        if readHeld && !waitsForResponse {
            readHeld = false
            context.read()
        }
    }

    // MARK: - Request

    private func receive(_ head: ReceivedRequestHead, context: ChannelHandlerContext) {
        headerDeadline?.headReceived()
        guard case .idle = state else { return }
        let keepAlive = isHTTP2Stream || head.keepAlive
        if head.target.count > limits.maxRequestTargetBytes {
            state = .direct(.plain(.uriTooLong), keepAlive: false, method: head.method)
            return
        }
        if head.fieldBytes > limits.maxHeaderBytes {
            state = .direct(.plain(.requestHeaderFieldsTooLarge), keepAlive: false, method: head.method)
            return
        }
        let uri = head.uri
        let installed = tables.current
        let host = head.hostValue
        let decision = installed.table.decide(port: listenerPort, host: host, method: head.method.rawValue, uri: uri, headers: head)
        guard case .matched(let rule, let prefix, let port, let isTLS) = decision else {
            state = .direct(.plain(.notFound), keepAlive: keepAlive, method: head.method)
            return
        }
        if let redirect = rule.redirect {
            let location = RequestRewriting.location(
                for: redirect, uri: uri, host: host, matchedPrefix: prefix, listenerPort: port, isTLS: isTLS)
            state = .direct(.redirect(status: redirect.statusCode, location: location), keepAlive: keepAlive, method: head.method)
            return
        }
        guard rule.totalWeight > 0, let picked = rule.backend(at: Int(pool.random.next() % UInt64(rule.totalWeight))) else {
            state = .direct(.plain(.internalServerError), keepAlive: keepAlive, method: head.method)
            return
        }
        guard case .backend(let backend) = picked.target else {
            state = .direct(.plain(.internalServerError), keepAlive: keepAlive, method: head.method)
            return
        }
        let stats = installed.stats[backend.key]
        guard !backend.endpoints.isEmpty else {
            stats?.recordRequest()
            stats?.recordResponse(status: 503, latency: .zero)
            state = .direct(.plain(.serviceUnavailable), keepAlive: keepAlive, method: head.method)
            return
        }
        let endpoint = backend.endpoints.count == 1
            ? backend.endpoints[0] : backend.endpoints[Int(pool.random.next() % UInt64(backend.endpoints.count))]
        let upstreamURI = RequestRewriting.rewrittenURI(uri, rewrite: rule.rewrite, matchedPrefix: prefix)
        // What NIO's request header validator refused (no longer in the upstream pipeline, see
        // WireText): answered as its refusal was, 502, without touching the upstream.
        guard WireText.isRequestTarget(upstreamURI), rule.requestHeaders?.isSendable ?? true, picked.requestHeaders?.isSendable ?? true,
            rule.rewrite?.hostname.map(WireText.isFieldValue) ?? true
        else {
            stats?.recordRequest()
            stats?.recordResponse(status: 502, latency: .zero)
            state = .direct(.plain(.badGateway), keepAlive: keepAlive, method: head.method)
            return
        }
        var bytes = upstreamBuffer.take(capacity: head.bytes.readableBytes + upstreamURI.utf8.count + 64, allocator: context.channel.allocator)
        let exchange: Exchange
        if isHTTP2Stream || rule.rewrite?.hostname != nil || rule.requestHeaders != nil || picked.requestHeaders != nil
            || !rule.mirrors.isEmpty
        {
            // The fields change (or are copied for mirrors): read as text, changed, written out.
            var headers = head.headers()
            RequestRewriting.removeHopByHop(&headers)
            if isHTTP2Stream { RequestRewriting.joinCookies(&headers) }
            if let hostname = rule.rewrite?.hostname { headers.replaceOrAdd(name: "host", value: hostname) }
            rule.requestHeaders?.apply(to: &headers)
            picked.requestHeaders?.apply(to: &headers)
            exchange = Exchange(
                method: head.method, keepAlive: keepAlive, rule: rule, backend: picked, stats: stats,
                mirrored: rule.mirrors.isEmpty
                    ? nil : [.head(HTTPRequestHead(version: .http1_1, method: head.method, uri: upstreamURI, headers: headers))])
            let framing = HTTP1Writer.requestFraming(method: head.method, headers: &headers)
            exchange.requestChunked = framing.chunked
            exchange.requestCarriesBody = HTTP1Writer.carriesBody(framing, headers: headers)
            HTTP1Writer.writeRequestHead(method: head.method, uri: upstreamURI, headers: headers, skipping: 0, framing: framing, into: &bytes)
        } else {
            // Fields as they came, hop-by-hop ones left out.
            exchange = Exchange(method: head.method, keepAlive: keepAlive, rule: rule, backend: picked, stats: stats, mirrored: nil)
            let framing = HTTP1Writer.writeRequestHead(head, uri: upstreamURI, into: &bytes)
            exchange.requestChunked = framing.chunked
            exchange.requestCarriesBody = framing.carriesBody
        }
        upstreamBytes = bytes
        stats?.recordRequest()
        if let timeout = Self.earliest(rule.requestTimeout, rule.backendTimeout) {
            let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
            exchange.timeout = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(nanoseconds)) { [weak self] () -> Void in
                self?.timedOut(exchange)
            }
        }
        if let connection = pool.takeIdle(endpoint) {
            connection.handler.delegate = self
            connection.handler.expectResponse(to: head.method)
            state = .forwarding(exchange, connection)
            return
        }
        state = .connecting(exchange)
        let pool = self.pool
        pool.connect(endpoint).assumeIsolated().whenComplete { [weak self] result in
            if let self {
                self.connected(exchange, result)
            } else if case .success(let connection) = result {
                // The client went away while we connected: the connection is unused, keep it.
                pool.release(connection)
            }
        }
    }

    /// The sooner of two optional timeouts.
    private static func earliest(_ first: Duration?, _ second: Duration?) -> Duration? {
        guard let first else { return second }
        guard let second else { return first }
        return min(first, second)
    }

    private func receiveBody(_ body: ByteBuffer) {
        switch state {
        case .connecting(let exchange), .forwarding(let exchange, _):
            // Only an HTTP/2 request without a content-length can bring data its head gave no
            // framing for upstream (HTTP/1.1 bodies come with theirs): sent unframed, the upstream
            // would read it as another request, so it is not sent.
            guard exchange.requestCarriesBody else { return }
            exchange.mirrored?.append(.body(.byteBuffer(body)))
            var bytes = upstreamBytes ?? ByteBufferAllocator().buffer(capacity: 64)
            upstreamBytes = nil
            let connection: UpstreamConnection?
            if case .forwarding(_, let current) = state { connection = current } else { connection = nil }
            HTTP1Writer.writeBody(body, chunked: exchange.requestChunked, into: &bytes) { pending, slice in
                guard let connection else {
                    // Still connecting: everything waits in one buffer.
                    pending.writeImmutableBuffer(slice)
                    return
                }
                connection.channel.write(pending, promise: nil)
                connection.channel.write(slice, promise: nil)
                pending = ByteBufferAllocator().buffer(capacity: 64)
            }
            upstreamBytes = bytes
        case .idle, .direct, .closed:
            break
        }
    }

    private func receiveEnd(_ trailers: HTTPHeaders?, context: ChannelHandlerContext) {
        switch state {
        case .direct(let response, let keepAlive, let method):
            state = .idle
            write(response, method: method, keepAlive: keepAlive, context: context)
            serveUnread(context: context)
        case .connecting(let exchange), .forwarding(let exchange, _):
            exchange.requestEnded = true
            if exchange.requestChunked {
                var bytes = upstreamBytes ?? context.channel.allocator.buffer(capacity: 64)
                upstreamBytes = nil
                HTTP1Writer.writeEnd(chunked: true, trailers: trailers, into: &bytes)
                upstreamBytes = bytes
            }
            flushUpstream()
            sendMirrors(exchange)
        case .idle, .closed:
            break
        }
    }

    /// Hands the request's pending bytes to the upstream connection, if there is one yet.
    private func flushUpstream() {
        guard case .forwarding(_, let connection) = state, let bytes = upstreamBytes else { return }
        upstreamBytes = nil
        connection.channel.write(bytes, promise: nil)
        pool.flushes.flush(connection.channel)
        upstreamBuffer.keep(bytes)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushUpstream()
        context.fireChannelReadComplete()
    }

    private func sendMirrors(_ exchange: Exchange) {
        guard let parts = exchange.mirrored else { return }
        exchange.mirrored = nil
        for mirror in exchange.rule.mirrors where mirror.fraction >= 1 || Double(pool.random.next() % 10_000) < mirror.fraction * 10_000 {
            mirrors.send(parts, to: mirror.backend, random: &pool.random)
        }
    }

    // MARK: - Upstream

    private func connected(_ exchange: Exchange, _ result: Result<UpstreamConnection, any Error>) {
        guard case .connecting(let current) = state, current === exchange else {
            if case .success(let connection) = result { pool.release(connection) }
            return
        }
        switch result {
        case .failure:
            fail(exchange, status: .serviceUnavailable)
        case .success(let connection):
            connection.handler.delegate = self
            connection.handler.expectResponse(to: exchange.method)
            state = .forwarding(exchange, connection)
            flushUpstream()
        }
    }

    func upstreamReceived(_ part: UpstreamResponsePart) {
        guard case .forwarding(let exchange, let connection) = state, let context else { return }
        switch part {
        case .head(let received):
            // What NIO's response header validator checked: the filters' headers (the upstream's
            // own fields and reason phrase were checked as they were parsed).
            guard exchange.rule.responseHeaders?.isSendable ?? true, exchange.backend.responseHeaders?.isSendable ?? true else {
                fail(exchange, status: .badGateway)
                return
            }
            exchange.upstreamKeepAlive = received.keepAlive
            exchange.status = Int(received.status.code)
            exchange.responseStarted = true
            guard isHTTP2Stream else {
                forwardHTTP1(received, exchange: exchange, context: context)
                return
            }
            var head = received.responseHead()
            RequestRewriting.removeHopByHop(&head.headers)
            exchange.rule.responseHeaders?.apply(to: &head.headers)
            exchange.backend.responseHeaders?.apply(to: &head.headers)
            // NIO sends a header block in one frame: one larger than the client's
            // SETTINGS_MAX_FRAME_SIZE fails to write, and the stream is reset rather than left hanging.
            context.write(wrapOutboundOut(.head(head))).assumeIsolated().whenFailure { _ in context.close(promise: nil) }
            downstreamFlushPending = true
        case .body(let body):
            guard isHTTP2Stream else {
                guard !exchange.responseBodyless else { return }
                var bytes = downstreamBytes ?? context.channel.allocator.buffer(capacity: body.readableBytes + 16)
                downstreamBytes = nil
                HTTP1Writer.writeBody(body, chunked: exchange.responseChunked, into: &bytes) { pending, slice in
                    context.write(NIOAny(pending), promise: nil)
                    context.write(NIOAny(slice), promise: nil)
                    pending = context.channel.allocator.buffer(capacity: 64)
                }
                downstreamBytes = bytes
                return
            }
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            downstreamFlushPending = true
        case .end(let trailers):
            downstreamFlushPending = false
            exchange.timeout?.cancel()
            exchange.stats?.recordResponse(status: exchange.status, latency: exchange.elapsed)
            connection.handler.delegate = nil
            if exchange.upstreamKeepAlive && exchange.requestEnded {
                pool.release(connection)
            } else {
                connection.channel.close(promise: nil)
            }
            state = .idle
            upstreamBytes = nil
            let end: NIOAny
            if isHTTP2Stream {
                end = wrapOutboundOut(.end(trailers))
            } else {
                var bytes = downstreamBytes ?? context.channel.allocator.buffer(capacity: 0)
                downstreamBytes = nil
                HTTP1Writer.writeEnd(chunked: exchange.responseChunked, trailers: trailers, into: &bytes)
                end = NIOAny(bytes)
                downstreamBuffer.keep(bytes)
            }
            let closeAfter = !exchange.keepAlive || !exchange.requestEnded
            if closeAfter {
                context.writeAndFlush(end).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                state = .closed
            } else {
                context.write(end, promise: nil)
                pool.flushes.flush(context)
                serveUnread(context: context)
            }
        }
    }

    /// The upstream's head as HTTP/1.1 bytes. Without response header filters it is copied from
    /// the bytes received, hop-by-hop fields left out; with them, its fields are read as text first.
    private func forwardHTTP1(_ received: ReceivedResponseHead, exchange: Exchange, context: ChannelHandlerContext) {
        // Room for the head and a small body behind it.
        var bytes = downstreamBuffer.take(capacity: received.bytes.readableBytes + 512, allocator: context.channel.allocator)
        if exchange.rule.responseHeaders == nil && exchange.backend.responseHeaders == nil {
            let framing = HTTP1Writer.writeResponseHead(received, requestMethod: exchange.method, close: !exchange.keepAlive, into: &bytes)
            exchange.responseChunked = framing.chunked
            exchange.responseBodyless = framing.bodyless
        } else {
            var headers = received.headers()
            RequestRewriting.removeHopByHop(&headers)
            exchange.rule.responseHeaders?.apply(to: &headers)
            exchange.backend.responseHeaders?.apply(to: &headers)
            if !exchange.keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
            let (framing, bodyless) = HTTP1Writer.responseFraming(
                status: received.status, requestMethod: exchange.method, headers: &headers)
            exchange.responseChunked = framing.chunked
            exchange.responseBodyless = bodyless
            HTTP1Writer.writeResponseHead(
                status: received.status, headers: headers, skipping: 0, close: false, framing: framing, into: &bytes)
        }
        downstreamBytes = bytes
    }

    func upstreamReadComplete() {
        if let bytes = downstreamBytes {
            downstreamBytes = nil
            context?.writeAndFlush(NIOAny(bytes), promise: nil)
            downstreamBuffer.keep(bytes)
        } else if downstreamFlushPending {
            downstreamFlushPending = false
            context?.flush()
        }
    }

    func upstreamFailed(_ error: any Error) {
        switch state {
        case .forwarding(let exchange, _), .connecting(let exchange):
            fail(exchange, status: .badGateway)
        case .idle, .direct, .closed:
            break
        }
    }

    private func timedOut(_ exchange: Exchange) {
        switch state {
        case .forwarding(let current, _) where current === exchange, .connecting(let current) where current === exchange:
            fail(exchange, status: .gatewayTimeout)
        case .idle, .direct, .closed, .forwarding, .connecting:
            break
        }
    }

    /// Ends an exchange that went wrong: a proxy-made answer if nothing was sent yet, else a close.
    private func fail(_ exchange: Exchange, status: HTTPResponseStatus) {
        exchange.timeout?.cancel()
        abandonUpstream()
        guard let context else { return }
        exchange.stats?.recordResponse(status: Int(status.code), latency: exchange.elapsed)
        if exchange.responseStarted || !exchange.requestEnded {
            state = .closed
            if !exchange.responseStarted {
                write(.plain(status), method: exchange.method, keepAlive: false, context: context)
            } else {
                context.close(promise: nil)
            }
            return
        }
        state = .idle
        write(.plain(status), method: exchange.method, keepAlive: exchange.keepAlive, context: context)
        serveUnread(context: context)
    }

    /// Drops the upstream connection of the current exchange without returning it to the pool.
    private func abandonUpstream() {
        upstreamBytes = nil
        downstreamBytes = nil
        if case .forwarding(let exchange, let connection) = state {
            exchange.timeout?.cancel()
            connection.handler.delegate = nil
            connection.channel.close(promise: nil)
        } else if case .connecting(let exchange) = state {
            exchange.timeout?.cancel()
        }
    }

    // MARK: - Responses the proxy makes

    /// `method` is the request's: an answer to HEAD has the fields but not the body.
    private func write(_ response: DirectResponse, method: HTTPMethod, keepAlive: Bool, context: ChannelHandlerContext) {
        if case .redirect(_, let location) = response, !WireText.isFieldValue(location) {
            // A redirect built from a hostname or path that cannot go in a header.
            write(.plain(.internalServerError), method: method, keepAlive: keepAlive, context: context)
            return
        }
        var headers = HTTPHeaders()
        let (status, body) = response.statusAndBody
        if case .redirect(_, let location) = response { headers.add(name: "location", value: location) }
        headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        headers.add(name: "content-length", value: String(body.utf8.count))
        if !keepAlive { headers.add(name: "connection", value: "close") }
        guard isHTTP2Stream else {
            let (framing, bodyless) = HTTP1Writer.responseFraming(status: status, requestMethod: method, headers: &headers)
            var bytes = context.channel.allocator.buffer(capacity: 256)
            HTTP1Writer.writeResponseHead(status: status, headers: headers, skipping: 0, close: false, framing: framing, into: &bytes)
            if !bodyless {
                bytes.writeString(body)
                HTTP1Writer.writeEnd(chunked: framing.chunked, trailers: nil, into: &bytes)
            }
            if keepAlive {
                context.writeAndFlush(NIOAny(bytes), promise: nil)
            } else {
                state = .closed
                context.writeAndFlush(NIOAny(bytes)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
            return
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            state = .closed
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}

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
