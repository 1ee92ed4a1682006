#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1

/// A request on its way in: routed, answered by the proxy or written to an upstream connection.
extension ProxyHandler {
    func receive(_ head: ReceivedRequestHead, context: ChannelHandlerContext) {
        let firstByte = headerDeadline?.headReceived()
        guard case .idle = state else { return }
        route(head, firstByte: firstByte, context: context)
        if head.expectsContinue, isHTTP2Stream {
            // On a stream too (RFC 9113 8.1: an interim HEADERS frame); the upstream's own 100,
            // were the field forwarded, would be dropped with the other interim answers.
            switch state {
            case .connecting, .forwarding:
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http2, status: .continue))), promise: nil)
                pool.flushes.flush(context)
            case .idle, .direct, .tunnel, .closed:
                break
            }
        } else if head.expectsContinue, head.isHTTP11, head.body != .none, head.body != .length(0) {
            // The proxy meets the expectation itself, as nginx and Envoy do (the upstream does not
            // see it): the body is read whenever the request is forwarded or answered here on a
            // connection kept open; a client told nothing would wait its own timeout (curl: 1 s).
            switch state {
            case .connecting, .forwarding, .direct(_, keepAlive: true, _):
                context.write(NIOAny(ByteBuffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
                pool.flushes.flush(context)
            case .idle, .direct, .tunnel, .closed:
                break
            }
        }
    }

    /// Answers the request itself (`.direct`) or starts its exchange with an upstream. Its latency
    /// counts from `firstByte` when the header deadline timed the head (the same reading of the
    /// clock), else from now.
    private func route(_ head: ReceivedRequestHead, firstByte: NIODeadline?, context: ChannelHandlerContext) {
        // RFC 9112 3.2; HTTP/1.0 may leave Host out (the listener without hostnames serves it).
        if !isHTTP2Stream, head.isHTTP11, head.host == nil {
            state = .direct(.plain(.badRequest), keepAlive: false, method: head.method)
            return
        }
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
        let installed = tables.current(after: &tableReading)
        let (host, hostname) = requestHost(head)
        let (candidates, misdirected) = candidates(in: installed, hostname: hostname)
        if misdirected {
            state = .direct(.plain(.misdirectedRequest), keepAlive: keepAlive, method: head.method)
            return
        }
        let decision = installed.table.decide(in: candidates, method: head.method.rawValue, uri: uri, headers: head)
        guard case .matched(let rule, let prefix, let port, let isTLS) = decision else {
            state = .direct(.plain(.notFound), keepAlive: keepAlive, method: head.method)
            return
        }
        var corsOrigin: String?
        if let cors = rule.cors, let origin = head.combinedValue(named: "origin") {
            let allowed = cors.allows(origin: String(origin))
            // A preflight (Fetch 3.2.2) is the proxy's to answer: the backend never sees it.
            if head.method == .OPTIONS, let requestMethod = head.combinedValue(named: "access-control-request-method") {
                let fields = allowed
                    ? cors.preflightFields(
                        origin: String(origin), requestMethod: requestMethod,
                        requestHeaders: head.combinedValue(named: "access-control-request-headers"))
                    : []
                state = .direct(.preflight(fields: fields), keepAlive: keepAlive, method: head.method)
                return
            }
            if allowed { corsOrigin = String(origin) }
        }
        if let redirect = rule.redirect {
            let location = RequestRewriting.location(
                for: redirect, uri: uri, host: host, matchedPrefix: prefix, listenerPort: port, isTLS: isTLS)
            state = .direct(.redirect(status: redirect.statusCode, location: location), keepAlive: keepAlive, method: head.method)
            return
        }
        guard rule.totalWeight > 0, let picked = rule.backend(at: Int(pool.random.next() % UInt64(rule.totalWeight))),
            case .backend(let backend) = picked.target
        else {
            // gRPC clients read 503 as UNAVAILABLE, the status the spec gives a GRPCRoute's
            // invalid backends.
            state = .direct(.plain(rule.isGRPC ? .serviceUnavailable : .internalServerError), keepAlive: keepAlive, method: head.method)
            return
        }
        let stats = installed.stats(of: backend)
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
        guard WireText.isRequestTarget(upstreamURI), rule.requestFiltersSendable, picked.requestHeadersSendable else {
            stats?.recordRequest()
            stats?.recordResponse(status: 502, latency: .zero)
            state = .direct(.plain(.badGateway), keepAlive: keepAlive, method: head.method)
            return
        }
        var bytes = upstreamBuffer.take(capacity: head.bytes.readableBytes + upstreamURI.utf8.count + 64, allocator: context.channel.allocator)
        // A WebSocket handshake (RFC 6455 4.1: an HTTP/1.1 GET) is the one upgrade forwarded: an
        // `h2c` one tunnelled to a backend would carry requests past the routes.
        let upgrade = head.upgradesToWebSocket && !isHTTP2Stream && head.isHTTP11 && head.method.isGET
        let exchange: Exchange
        if isHTTP2Stream || rule.changesRequestFields || picked.requestHeaders != nil {
            // The fields change (or are copied for mirrors): read as text, changed, written out.
            var headers = head.headers()
            RequestRewriting.removeHopByHop(&headers)
            if head.expectsContinue { headers.remove(name: "expect") }
            if isHTTP2Stream { RequestRewriting.joinCookies(&headers) }
            if let hostname = rule.rewrite?.hostname { headers.replaceOrAdd(name: "host", value: hostname) }
            rule.requestHeaders?.apply(to: &headers)
            picked.requestHeaders?.apply(to: &headers)
            exchange = makeExchange(
                method: head.method, keepAlive: keepAlive, rule: rule, backend: picked, stats: stats,
                mirrored: mirrorCopy(
                    of: rule, in: installed, head: HTTPRequestHead(version: .http1_1, method: head.method, uri: upstreamURI, headers: headers)),
                started: firstByte ?? context.eventLoop.now)
            if upgrade { RequestRewriting.addWebSocketUpgrade(&headers) }
            let framing = HTTP1Writer.requestFraming(method: head.method, headers: &headers)
            exchange.requestChunked = framing.chunked
            exchange.requestCarriesBody = HTTP1Writer.carriesBody(framing, headers: headers)
            HTTP1Writer.writeRequestHead(method: head.method, uri: upstreamURI, headers: headers, framing: framing, into: &bytes)
        } else {
            // Fields as they came, hop-by-hop ones left out.
            exchange = makeExchange(
                method: head.method, keepAlive: keepAlive, rule: rule, backend: picked, stats: stats, mirrored: nil,
                started: firstByte ?? context.eventLoop.now)
            let framing = HTTP1Writer.writeRequestHead(head, uri: upstreamURI, upgrade: upgrade, into: &bytes)
            exchange.requestChunked = framing.chunked
            exchange.requestCarriesBody = framing.carriesBody
        }
        exchange.upgrade = upgrade
        exchange.corsOrigin = corsOrigin
        upstreamBytes = bytes
        stats?.recordRequest()
        if let timeout = Self.earliest(rule.requestTimeout, rule.backendTimeout) {
            let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
            // Holds the handler until it fires or the exchange ends (every end cancels it).
            exchange.timeout = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(nanoseconds)) { () -> Void in
                self.timedOut(exchange)
            }
        }
        if let connection = pool.takeIdle(endpoint) {
            connection.handler.delegate = self
            connection.handler.expectResponse(to: head.method, upgrade: upgrade)
            state = .forwarding(exchange, connection)
            return
        }
        state = .connecting(exchange)
        // Holds the handler until the connect ends (its timeout bounds that); if the client went
        // away meanwhile, `connected` keeps the unused connection in the pool.
        pool.connect(endpoint).assumeIsolated().whenComplete { result in
            self.connected(exchange, result)
        }
    }

    /// The exchange for a new request: the connection's last one if nothing holds it any more (its
    /// request over, no timeout or connect callback keeping it), else a new one kept for the next.
    private func makeExchange(
        method: HTTPMethod, keepAlive: Bool, rule: CompiledRule, backend: WeightedBackend, stats: BackendStats?,
        mirrored: MirrorCopy?, started: NIODeadline
    ) -> Exchange {
        if spareExchange != nil, isKnownUniquelyReferenced(&spareExchange!) {
            let exchange = spareExchange!
            exchange.begin(
                method: method, keepAlive: keepAlive, rule: rule, backend: backend, stats: stats, mirrored: mirrored, started: started)
            return exchange
        }
        let exchange = Exchange(
            method: method, keepAlive: keepAlive, rule: rule, backend: backend, stats: stats, mirrored: mirrored, started: started)
        spareExchange = exchange
        return exchange
    }

    /// The request's Host value and the hostname routed by (`RouteTable.normalize`). A keep-alive
    /// connection mostly names one host: its text is made again only when the bytes differ.
    func requestHost(_ head: ReceivedRequestHead) -> (value: String, hostname: String) {
        guard let range = head.host else { return ("", "") }
        let unchanged = head.bytes.withUnsafeReadableBytes { raw -> Bool in
            let same = lastHost.value.utf8.withContiguousStorageIfAvailable { last in
                last.count == range.count && (last.isEmpty || memcmp(last.baseAddress!, raw.baseAddress! + range.lowerBound, range.count) == 0)
            }
            return same ?? false
        }
        if !unchanged {
            let value = head.text(range)
            lastHost = (value, RouteTable.normalize(host: value))
        }
        return lastHost
    }

    /// The entries that may serve `hostname` on this listener, worked out again only when the
    /// table or the hostname changed (a listener lookup and a hash of the name otherwise).
    func candidates(in installed: InstalledTable, hostname: String) -> (RouteTable.Candidates?, misdirected: Bool) {
        if let last = lastCandidates, last.table === installed, last.hostname == hostname { return (last.candidates, last.misdirected) }
        let candidates = installed.table.candidates(socket: socket, hostname: hostname)
        // The TLS server name chose the certificate, and so the listener, the connection is for.
        // A Host another listener on the port would serve belongs on another connection (RFC 9110
        // 15.5.20): a client that reused this one for it is told to open its own.
        let misdirected = tlsServerName.map { serverName in
            installed.table.listenerIndex(socket: socket, hostname: serverName)
                != installed.table.listenerIndex(socket: socket, hostname: hostname)
        } ?? false
        lastCandidates = (installed, hostname, candidates, misdirected)
        return (candidates, misdirected)
    }

    /// The sooner of two optional timeouts.
    static func earliest(_ first: Duration?, _ second: Duration?) -> Duration? {
        guard let first else { return second }
        guard let second else { return first }
        return min(first, second)
    }

    func receiveBody(_ body: ByteBuffer) {
        switch state {
        case .connecting(let exchange), .forwarding(let exchange, _):
            // Only an HTTP/2 request without a content-length can bring data its head gave no
            // framing for upstream (HTTP/1.1 bodies come with theirs): sent unframed, the upstream
            // would read it as another request, so it is not sent.
            guard exchange.requestCarriesBody else { return }
            if let copy = exchange.mirrored, !copy.append(body, limit: limits.maxMirroredBodyBytes) {
                exchange.mirrored = nil
                for target in copy.targets { target.stats?.recordMirrorSkipped() }
            }
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
                connection.write(pending)
                connection.write(slice)
                pending = ByteBufferAllocator().buffer(capacity: 64)
            }
            upstreamBytes = bytes
        case .idle, .direct, .tunnel, .closed:
            break
        }
    }

    func receiveEnd(_ trailers: HTTPHeaders?, context: ChannelHandlerContext) {
        switch state {
        case .direct(let response, let keepAlive, let method):
            finishRequest()
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
            sendMirrors(exchange, trailers: trailers)
        case .idle, .tunnel, .closed:
            break
        }
    }

    /// Hands the request's pending bytes to the upstream connection, if there is one yet.
    func flushUpstream() {
        // Most calls find nothing to write: that is looked at first (matching the state copies it).
        guard let bytes = upstreamBytes, case .forwarding(_, let connection) = state else { return }
        upstreamBytes = nil
        connection.write(bytes)
        pool.flushes.flush(connection.flushTarget)
        upstreamBuffer.keep(bytes)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushUpstream()
        context.fireChannelReadComplete()
    }

    func sendMirrors(_ exchange: Exchange, trailers: HTTPHeaders?) {
        guard let copy = exchange.mirrored else { return }
        exchange.mirrored = nil
        copy.end(trailers)
        for target in copy.targets { mirrors.send(copy.parts, to: target.backend, random: &pool.random) }
    }

    /// The copy of a request for the mirrors of `rule` that take it (each by its percentage), or
    /// nil when none does.
    func mirrorCopy(of rule: CompiledRule, in installed: InstalledTable, head: @autoclosure () -> HTTPRequestHead) -> MirrorCopy? {
        guard !rule.mirrors.isEmpty else { return nil }
        var targets: [(backend: ResolvedBackend, stats: BackendStats?)] = []
        for mirror in rule.mirrors where mirror.fraction >= 1 || Double(pool.random.next() % 10_000) < mirror.fraction * 10_000 {
            targets.append((mirror.backend, installed.stats(of: mirror.backend)))
        }
        return targets.isEmpty ? nil : MirrorCopy(targets: targets, head: head())
    }
}
