import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix

/// HTTP/2 over cleartext, with prior knowledge (RFC 9113 3.3), to endpoints whose Service port
/// says `appProtocol: kubernetes.io/h2c`: one connection per endpoint on this event loop, one
/// stream per request. A stream is handed out as an `UpstreamConnection` whose pipeline turns the
/// HTTP/1.1 bytes the proxy writes into NIO's HTTP/1 parts and the parts it receives back into
/// HTTP/1.1 bytes (`HTTP1OverHTTP2Stream`), so the exchange is the HTTP/1.1 path's: routing,
/// filters, timeouts, statistics and backpressure (the stream's flow control) are not written twice.
final class H2CUpstreams {
    private let eventLoop: any EventLoop
    private let connectTimeout: TimeAmount
    /// The connection to each endpoint, from its connect on; dropped when it closes or the peer
    /// sends GOAWAY, so the next stream opens a new one.
    private var connections: [Endpoint: EventLoopFuture<NIOHTTP2Handler.StreamMultiplexer>] = [:]
    private var channels: [Endpoint: any Channel] = [:]

    init(eventLoop: any EventLoop, connectTimeout: TimeAmount) {
        self.eventLoop = eventLoop
        self.connectTimeout = connectTimeout
    }

    /// A new stream to `endpoint`, on its connection (opened first if there is none), its
    /// pipeline ending in an `UpstreamHandler`.
    func openStream(to endpoint: Endpoint) -> EventLoopFuture<any Channel> {
        let eventLoop = self.eventLoop
        return multiplexer(for: endpoint).flatMap { multiplexer in
            let promise = eventLoop.makePromise(of: (any Channel).self)
            multiplexer.createStreamChannel(promise: promise) { stream in
                stream.eventLoop.makeCompletedFuture {
                    let pipeline = stream.pipeline.syncOperations
                    try pipeline.addHandler(HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: .http))
                    try pipeline.addHandler(HTTP1OverHTTP2Stream())
                    try pipeline.addHandler(UpstreamHandler())
                }
            }
            return promise.futureResult
        }
    }

    private func multiplexer(for endpoint: Endpoint) -> EventLoopFuture<NIOHTTP2Handler.StreamMultiplexer> {
        if let existing = connections[endpoint] { return existing }
        let bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    var configuration = NIOHTTP2Handler.ConnectionConfiguration()
                    configuration.initialSettings = [
                        HTTP2Setting(parameter: .enablePush, value: 0),
                        HTTP2Setting(parameter: .maxHeaderListSize, value: 1 << 16),
                    ]
                    let pipeline = channel.pipeline.syncOperations
                    // The backend opens no streams of its own: any it tries is closed at once.
                    _ = try pipeline.configureHTTP2Pipeline(
                        mode: .client, connectionConfiguration: configuration, streamConfiguration: .init()
                    ) { stream in stream.close() }
                    try pipeline.addHandler(GoAwayWatcher())
                }
            }
        let connection = bootstrap.connect(host: endpoint.host, port: endpoint.port).assumeIsolated().flatMapThrowing { channel in
            let pipeline = channel.pipeline.syncOperations
            try pipeline.handler(type: GoAwayWatcher.self).onGoAway = { [weak self] in self?.forget(endpoint, channel: channel) }
            self.channels[endpoint] = channel
            channel.closeFuture.assumeIsolated().whenComplete { _ in self.forget(endpoint, channel: channel) }
            return try pipeline.handler(type: NIOHTTP2Handler.self).syncMultiplexer()
        }.nonisolated()
        connections[endpoint] = connection
        connection.assumeIsolated().whenFailure { _ in
            // A connection that never came up is tried again by the next request.
            if self.channels[endpoint] == nil { self.connections[endpoint] = nil }
        }
        return connection
    }

    /// Stops handing out streams of `channel`: it closed, or its peer will accept no more.
    private func forget(_ endpoint: Endpoint, channel: any Channel) {
        guard let current = channels[endpoint], current === channel else { return }
        channels[endpoint] = nil
        connections[endpoint] = nil
    }

    /// Closes every connection (shutdown); their open streams fail.
    func closeAll() {
        for channel in channels.values { channel.close(promise: nil) }
        channels.removeAll()
        connections.removeAll()
    }
}

/// Tells when the peer sent GOAWAY: streams already open may finish, new ones go elsewhere.
private final class GoAwayWatcher: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame

    var onGoAway: (() -> Void)?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .goAway = unwrapInboundIn(data).payload { onGoAway?() }
    }
}

/// One HTTP/2 stream's exchange in HTTP/1.1 bytes: the request bytes the proxy writes are read
/// back into parts (`RequestParser`) for NIO's HTTP/2 codec, and the response parts the codec
/// gives are written out as an HTTP/1.1 response for `UpstreamHandler` to parse. The response
/// says `connection: close`: a stream carries one exchange and is never pooled.
final class HTTP1OverHTTP2Stream: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = HTTPClientRequestPart

    private var requestParser = RequestParser()
    /// Request bytes not making a whole part yet.
    private var unwritten: ByteBuffer?
    private var requestMethod: HTTPMethod = .GET
    private var responseChunked = false
    private var requestEnded = false
    private var responseEnded = false
    /// The body bytes still to come of a response framed by its length. The bytes that complete
    /// it are `held` until the stream ends: the exchange closes its stream as soon as it has the
    /// whole response, and it must not be before HTTP/2 has seen the stream end (see `close`).
    private var lengthRemaining: Int?
    private var held: ByteBuffer?
    /// The status fields of a gRPC trailers-only answer, sent at its end.
    private var statusTrailers = HTTPHeaders()
    private static let grpcStatusFields = ["grpc-status", "grpc-message", "grpc-status-details-bin"]

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var bytes = unwrapOutboundIn(data)
        if var earlier = unwritten {
            unwritten = nil
            earlier.writeBuffer(&bytes)
            bytes = earlier
        }
        do {
            while let part = try requestParser.next(&bytes) {
                switch part {
                case .head(let head):
                    requestMethod = head.method
                    var headers = head.headers()
                    // gRPC servers may refuse a call without it (it tells them no proxy on the
                    // way drops trailers); the proxy removed the client's as hop-by-hop.
                    if headers.first(name: "content-type")?.lowercased().hasPrefix("application/grpc") == true {
                        headers.replaceOrAdd(name: "te", value: "trailers")
                    }
                    let requestHead = HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: headers)
                    context.write(wrapOutboundOut(.head(requestHead)), promise: nil)
                case .body(let body):
                    context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
                case .end(let trailers):
                    requestEnded = true
                    context.write(wrapOutboundOut(.end(trailers)), promise: nil)
                }
            }
        } catch {
            promise?.fail(error)
            context.close(promise: nil)
            return
        }
        if bytes.readableBytes > 0 { unwritten = bytes }
        promise?.succeed()
    }

    /// The exchange's end closes its stream. When both sides have ended, HTTP/2 closes the stream
    /// itself, just after the last frame is read; closed before that, it would send RST_STREAM,
    /// which servers count against a reset-flood limit (NIO's: 200 in 30 s, then GOAWAY
    /// ENHANCE_YOUR_CALM for the whole connection).
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard requestEnded, responseEnded, mode == .all else {
            context.close(mode: mode, promise: promise)
            return
        }
        if let promise { context.channel.closeFuture.cascade(to: promise) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = context.channel.allocator.buffer(capacity: 256)
        switch unwrapInboundIn(data) {
        case .head(var head):
            head.headers.remove(name: "connection")
            let informational = head.status.code < 200
            let bodyless = informational || head.status == .noContent || head.status == .notModified || requestMethod == .HEAD
            if !informational, head.headers.contains(name: "grpc-status") {
                // A gRPC "trailers-only" answer (one HEADERS frame ending the stream): its status
                // goes on as trailers, which is how it still reads as one after the HTTP/1.1 leg
                // (a client's HTTP/2 stream gets HEADERS, then trailers).
                for name in Self.grpcStatusFields {
                    for value in head.headers[name] { statusTrailers.add(name: name, value: value) }
                    head.headers.remove(name: name)
                }
                head.headers.remove(name: "content-length")
            }
            // A length the backend gave frames the body; without one, chunked (which also carries trailers).
            responseChunked = !bodyless && !head.headers.contains(name: "content-length")
            if responseChunked { head.headers.replaceOrAdd(name: "transfer-encoding", value: "chunked") }
            if !informational { head.headers.add(name: "connection", value: "close") }
            bytes.writeString("HTTP/1.1 \(head.status.code) \(head.status.reasonPhrase)\r\n")
            for (name, value) in head.headers { bytes.writeString("\(name): \(value)\r\n") }
            bytes.writeString("\r\n")
            if !informational {
                lengthRemaining = bodyless ? 0 : responseChunked ? nil : head.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
                if lengthRemaining == 0 {
                    held = bytes
                    return
                }
            }
        case .body(let body):
            guard body.readableBytes > 0 else { return }
            if responseChunked { bytes.writeString(String(body.readableBytes, radix: 16) + "\r\n") }
            var body = body
            bytes.writeBuffer(&body)
            if responseChunked { bytes.writeString("\r\n") }
            if let remaining = lengthRemaining {
                lengthRemaining = remaining - bytes.readableBytes
                if remaining <= bytes.readableBytes {
                    held = bytes
                    return
                }
            }
        case .end(let trailers):
            responseEnded = true
            if let last = held {
                held = nil
                bytes = last
            }
            if responseChunked {
                bytes.writeString("0\r\n")
                for (name, value) in statusTrailers { bytes.writeString("\(name): \(value)\r\n") }
                for (name, value) in trailers ?? [:] { bytes.writeString("\(name): \(value)\r\n") }
                bytes.writeString("\r\n")
            }
            guard bytes.readableBytes > 0 else { return }
        }
        context.fireChannelRead(wrapInboundOut(bytes))
    }
}
