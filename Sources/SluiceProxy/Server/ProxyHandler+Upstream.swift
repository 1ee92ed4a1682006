import NIOCore
import NIOHTTP1

/// The upstream side of an exchange: connecting, the response on its way back, failures and timeouts.
extension ProxyHandler {
    func connected(_ exchange: Exchange, _ result: Result<UpstreamConnection, any Error>) {
        guard case .connecting(let current) = state, current === exchange else {
            if case .success(let connection) = result { pool.release(connection) }
            return
        }
        switch result {
        case .failure:
            fail(exchange, status: .serviceUnavailable)
        case .success(let connection):
            connection.handler.delegate = self
            connection.handler.expectResponse(to: exchange.method, upgrade: exchange.upgrade)
            state = .forwarding(exchange, connection)
            flushUpstream()
            resumeHeldRead()
        }
    }

    func upstreamReceived(_ part: UpstreamResponsePart) {
        if case .tunnel(let bytes) = part {
            relayDownstream(bytes)
            return
        }
        // The connection is taken out of the state only at the end (each part would retain it).
        guard case .forwarding(let exchange, _) = state, let context else { return }
        switch part {
        case .head(let received):
            // What NIO's response header validator checked: the filters' headers (the upstream's
            // own fields and reason phrase were checked as they were parsed).
            guard exchange.rule.responseFiltersSendable, exchange.backend.responseHeadersSendable else {
                fail(exchange, status: .badGateway)
                return
            }
            if received.status.code == 101 {
                switchProtocols(received, exchange: exchange, context: context)
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
            applyResponseFilters(of: exchange, to: &head.headers)
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
            guard case .forwarding(_, let connection) = state else { return }
            downstreamFlushPending = false
            exchange.timeout?.cancel()
            // One reading of the clock for the latency and the idle time.
            let now = context.eventLoop.now
            let status = exchange.rule.isGRPC ? GRPCStatusClass.httpStatus(trailers: trailers, otherwise: exchange.status) : exchange.status
            exchange.stats?.recordResponse(status: status, latency: exchange.elapsed(at: now))
            connection.handler.delegate = nil
            // An upstream that declined an upgrade may no longer read the connection as HTTP
            // (NIO's decoder stops at a request with `Upgrade`): it is not trusted with another.
            if exchange.upstreamKeepAlive && exchange.requestEnded && !exchange.upgrade {
                pool.release(connection)
            } else {
                connection.channel.close(promise: nil)
            }
            finishRequest(at: now)
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
        case .tunnel:
            break
        }
    }

    /// The upstream accepted the upgrade (101; the parser lets one through only to a request that
    /// asked): its head goes downstream with the handshake's own `Connection` and `Upgrade`, and
    /// from then on the two connections relay bytes until either closes. What the client sent
    /// behind its request (frames it did not wait to send) goes upstream first.
    private func switchProtocols(_ received: ReceivedResponseHead, exchange: Exchange, context: ChannelHandlerContext) {
        guard case .forwarding(_, let connection) = state else { return }
        exchange.timeout?.cancel()
        exchange.status = 101
        exchange.responseStarted = true
        let now = context.eventLoop.now
        exchange.stats?.recordResponse(status: 101, latency: exchange.elapsed(at: now))
        idleSince = now
        forwardHTTP1(received, exchange: exchange, context: context, upgrade: true)
        upstreamBytes = nil
        state = .tunnel(connection)
        // The connection routes nothing more: the table it read is let go, or a tunnel open for
        // hours would keep every table it outlived.
        tableReading = nil
        lastCandidates = nil
        spareExchange = nil
        if !context.channel.isWritable { connection.setReading(false) }
        if !connection.channel.isWritable { upstreamWritabilityChanged(false) }
        if let early = unread {
            unread = nil
            connection.write(early)
            pool.flushes.flush(connection.flushTarget)
        }
        if readHeld {
            readHeld = false
            context.read()
        }
    }

    /// The proxy reads from one side only while the other can take the bytes (NIO's write buffer
    /// watermarks say when): a client that stops reading holds the upstream back (a response
    /// body, or a tunnel), and in a tunnel the other way round too, instead of the proxy
    /// buffering what one side sends faster than the other takes.
    func upstreamWritabilityChanged(_ isWritable: Bool) {
        switch state {
        case .tunnel:
            try? context?.channel.syncOptions?.setOption(.autoRead, value: isWritable)
        case .forwarding:
            if isWritable { resumeHeldRead() }
        case .idle, .direct, .connecting, .closed:
            break
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        switch state {
        case .tunnel(let connection), .forwarding(_, let connection):
            connection.setReading(context.channel.isWritable)
        case .idle, .direct, .connecting, .closed:
            break
        }
        context.fireChannelWritabilityChanged()
    }

    /// Tunnel bytes from the upstream, behind whatever is still waiting to go downstream.
    private func relayDownstream(_ bytes: ByteBuffer) {
        guard case .tunnel = state, let context else { return }
        idleSince = context.eventLoop.now
        if let pending = downstreamBytes {
            downstreamBytes = nil
            context.write(NIOAny(pending), promise: nil)
        }
        context.write(NIOAny(bytes), promise: nil)
        downstreamFlushPending = true
    }

    /// The rule's and the backend's response header filters, then the CORS fields for an allowed
    /// origin (they replace any the backend sent: the route's policy is the one in force).
    func applyResponseFilters(of exchange: Exchange, to headers: inout HTTPHeaders) {
        exchange.rule.responseHeaders?.apply(to: &headers)
        exchange.backend.responseHeaders?.apply(to: &headers)
        guard let origin = exchange.corsOrigin, let cors = exchange.rule.cors else { return }
        for (name, value) in cors.responseFields(origin: origin) { headers.replaceOrAdd(name: name, value: value) }
        if !headers[canonicalForm: "vary"].contains(where: { $0.lowercased() == "origin" || $0 == "*" }) {
            headers.add(name: "vary", value: "Origin")
        }
    }

    /// The upstream's head as HTTP/1.1 bytes. Without response header filters it is copied from
    /// the bytes received, hop-by-hop fields left out; with them, its fields are read as text first.
    /// `upgrade`: a 101 to a WebSocket handshake, which gets the handshake's own `Connection` and
    /// `Upgrade` instead of a `connection: close`.
    func forwardHTTP1(_ received: ReceivedResponseHead, exchange: Exchange, context: ChannelHandlerContext, upgrade: Bool = false) {
        // Room for the head and a small body behind it.
        var bytes = downstreamBuffer.take(capacity: received.bytes.readableBytes + 512, allocator: context.channel.allocator)
        if !exchange.rule.changesResponseFields && exchange.backend.responseHeaders == nil {
            let framing = HTTP1Writer.writeResponseHead(
                received, requestMethod: exchange.method, close: !exchange.keepAlive && !upgrade, upgrade: upgrade, into: &bytes)
            exchange.responseChunked = framing.chunked
            exchange.responseBodyless = framing.bodyless
        } else {
            var headers = received.headers()
            RequestRewriting.removeHopByHop(&headers)
            applyResponseFilters(of: exchange, to: &headers)
            if upgrade {
                RequestRewriting.addWebSocketUpgrade(&headers)
            } else if !exchange.keepAlive {
                headers.replaceOrAdd(name: "connection", value: "close")
            }
            let (framing, bodyless) = HTTP1Writer.responseFraming(
                status: received.status, requestMethod: exchange.method, headers: &headers)
            exchange.responseChunked = framing.chunked
            exchange.responseBodyless = bodyless
            HTTP1Writer.writeResponseHead(received, headers: headers, framing: framing, into: &bytes)
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
        case .tunnel(let connection):
            // The upstream side of the tunnel closed: what it sent goes out, then the client's closes.
            connection.handler.delegate = nil
            state = .closed
            guard let context else { return }
            let pending = downstreamBytes ?? ByteBuffer()
            downstreamBytes = nil
            context.writeAndFlush(NIOAny(pending)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        case .idle, .direct, .closed:
            break
        }
    }

    func timedOut(_ exchange: Exchange) {
        switch state {
        case .forwarding(let current, _) where current === exchange, .connecting(let current) where current === exchange:
            fail(exchange, status: .gatewayTimeout)
        case .idle, .direct, .closed, .forwarding, .connecting, .tunnel:
            break
        }
    }

    /// Ends an exchange that went wrong: a proxy-made answer if nothing was sent yet, else a close.
    func fail(_ exchange: Exchange, status: HTTPResponseStatus) {
        exchange.timeout?.cancel()
        abandonUpstream()
        guard let context else { return }
        let now = context.eventLoop.now
        exchange.stats?.recordResponse(status: Int(status.code), latency: exchange.elapsed(at: now))
        if exchange.responseStarted || !exchange.requestEnded {
            state = .closed
            if !exchange.responseStarted {
                write(.plain(status), method: exchange.method, keepAlive: false, context: context)
            } else {
                context.close(promise: nil)
            }
            return
        }
        finishRequest(at: now)
        write(.plain(status), method: exchange.method, keepAlive: exchange.keepAlive, context: context)
        serveUnread(context: context)
    }

    /// Drops the upstream connection of the current exchange without returning it to the pool.
    func abandonUpstream() {
        upstreamBytes = nil
        downstreamBytes = nil
        if case .tunnel(let connection) = state {
            connection.handler.delegate = nil
            connection.channel.close(promise: nil)
        } else if case .forwarding(let exchange, let connection) = state {
            exchange.timeout?.cancel()
            connection.handler.delegate = nil
            connection.channel.close(promise: nil)
        } else if case .connecting(let exchange) = state {
            exchange.timeout?.cancel()
        }
    }
}
