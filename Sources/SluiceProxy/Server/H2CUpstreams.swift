import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix

/// HTTP/2 over cleartext, with prior knowledge (RFC 9113 3.3), to endpoints whose Service port
/// says `appProtocol: kubernetes.io/h2c` (and every GRPCRoute backend): connections per endpoint on
/// this event loop, one stream per request. A connection takes streams up to the backend's
/// SETTINGS_MAX_CONCURRENT_STREAMS; past that, another connection is opened (a stream would
/// otherwise wait for one to end, behind long-lived gRPC streams). A stream is handed out as an
/// `UpstreamConnection` whose pipeline turns the HTTP/1.1 bytes the proxy writes into NIO's HTTP/1
/// parts and the parts it receives back into HTTP/1.1 bytes (`HTTP1OverHTTP2Stream`), so the
/// exchange is the HTTP/1.1 path's: routing, filters, timeouts, statistics and backpressure (the
/// stream's flow control) are not written twice.
final class H2CUpstreams {
    private let eventLoop: any EventLoop
    private let connectTimeout: TimeAmount
    /// Each endpoint's connections, oldest first, from their connect on; one is dropped when it
    /// closes or the peer sends GOAWAY, so later streams go to another.
    private var connections: [Endpoint: [H2CConnection]] = [:]
    /// The stream limit each endpoint last announced: a new connection assumes it until its own
    /// SETTINGS arrive.
    private var announcedLimits: [Endpoint: Int] = [:]

    init(eventLoop: any EventLoop, connectTimeout: TimeAmount) {
        self.eventLoop = eventLoop
        self.connectTimeout = connectTimeout
    }

    /// A new stream to `endpoint`, on a connection with room for it (opened first if there is
    /// none), its pipeline ending in an `UpstreamHandler`.
    func openStream(to endpoint: Endpoint) -> EventLoopFuture<any Channel> {
        let eventLoop = self.eventLoop
        let connection = connectionWithRoom(to: endpoint)
        connection.openStreams += 1
        let stream = connection.multiplexer.flatMap { multiplexer in
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
        stream.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel): channel.closeFuture.assumeIsolated().whenComplete { _ in connection.openStreams -= 1 }
            case .failure: connection.openStreams -= 1
            }
        }
        return stream
    }

    /// The oldest connection to `endpoint` below its stream limit, or a new one.
    private func connectionWithRoom(to endpoint: Endpoint) -> H2CConnection {
        if let connection = connections[endpoint]?.first(where: { $0.openStreams < $0.streamLimit }) { return connection }
        let connection = connect(to: endpoint)
        connections[endpoint, default: []].append(connection)
        return connection
    }

    private func connect(to endpoint: Endpoint) -> H2CConnection {
        let multiplexer = eventLoop.makePromise(of: NIOHTTP2Handler.StreamMultiplexer.self)
        let connection = H2CConnection(multiplexer: multiplexer.futureResult, streamLimit: announcedLimits[endpoint] ?? Int.max)
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
                    try pipeline.addHandler(ConnectionWatcher())
                }
            }
        bootstrap.connect(host: endpoint.host, port: endpoint.port).assumeIsolated().flatMapThrowing { channel in
            let pipeline = channel.pipeline.syncOperations
            let watcher = try pipeline.handler(type: ConnectionWatcher.self)
            watcher.onGoAway = { [weak self] in self?.forget(connection, of: endpoint) }
            watcher.onStreamLimit = { [weak self] limit in
                // A backend that allows none still gets one at a time, rather than a connection per request.
                connection.streamLimit = max(limit, 1)
                self?.announcedLimits[endpoint] = connection.streamLimit
            }
            connection.channel = channel
            channel.closeFuture.assumeIsolated().whenComplete { _ in self.forget(connection, of: endpoint) }
            return try pipeline.handler(type: NIOHTTP2Handler.self).syncMultiplexer()
        }.whenComplete { result in
            // A connection that never came up is tried again by the next request.
            if case .failure = result { self.forget(connection, of: endpoint) }
            multiplexer.completeWith(result)
        }
        return connection
    }

    /// Stops handing out streams of `connection`: it closed, or its peer will accept no more.
    private func forget(_ connection: H2CConnection, of endpoint: Endpoint) {
        connections[endpoint]?.removeAll { $0 === connection }
        if connections[endpoint]?.isEmpty == true { connections[endpoint] = nil }
    }

    /// Closes every connection (shutdown); their open streams fail.
    func closeAll() {
        for connection in connections.values.joined() { connection.channel?.close(promise: nil) }
        connections.removeAll()
    }
}

/// One HTTP/2 connection to a backend and the streams it carries now.
private final class H2CConnection {
    let multiplexer: EventLoopFuture<NIOHTTP2Handler.StreamMultiplexer>
    var channel: (any Channel)?
    var openStreams = 0
    /// The backend's SETTINGS_MAX_CONCURRENT_STREAMS (unbounded until it says, RFC 9113 6.5.2).
    var streamLimit: Int

    init(multiplexer: EventLoopFuture<NIOHTTP2Handler.StreamMultiplexer>, streamLimit: Int) {
        self.multiplexer = multiplexer
        self.streamLimit = streamLimit
    }
}

/// Tells when the peer sent GOAWAY (streams already open may finish, new ones go elsewhere) and
/// the stream limit its SETTINGS announce.
private final class ConnectionWatcher: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame

    var onGoAway: (() -> Void)?
    var onStreamLimit: ((Int) -> Void)?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data).payload {
        case .goAway: onGoAway?()
        case .settings(.settings(let settings)):
            for setting in settings where setting.parameter == .maxConcurrentStreams { onStreamLimit?(setting.value) }
        default: break
        }
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
