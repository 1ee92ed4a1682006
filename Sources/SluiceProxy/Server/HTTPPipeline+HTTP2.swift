import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOTLS

extension HTTPPipeline {
    /// A plain HTTP listener: h2c when the connection starts with the HTTP/2 preface (prior
    /// knowledge), HTTP/1.1 otherwise. `Upgrade: h2c` is not offered (nginx does not either): such a
    /// request is served over HTTP/1.1.
    func addCleartext(to channel: any Channel) throws {
        // Until its first bytes arrive a connection is one whose request head is late: the
        // header-read deadline applies, with its 408.
        let detector = CleartextProtocolDetector(
            timeout: limits.headerReadTimeout, silenceAnswer: HeaderReadDeadline.response
        ) { detected, context in
            switch detected {
            case .http1: try self.add(to: context.pipeline.syncOperations)
            case .http2: try self.addHTTP2(to: context.channel)
            }
        }
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(detector))
    }

    /// Inside TLS: the protocol ALPN chose (the contexts offer `h2` and `http/1.1`); a client that
    /// sends no ALPN gets HTTP/1.1.
    func addNegotiated(to pipeline: ChannelPipeline.SynchronousOperations) throws {
        let negotiation = ApplicationProtocolNegotiationHandler { result, channel in
            channel.eventLoop.makeCompletedFuture {
                switch result {
                case .negotiated("h2"): try self.addHTTP2(to: channel)
                case .negotiated, .fallback: try self.add(to: channel.pipeline.syncOperations)
                }
            }
        }
        try pipeline.addHandler(negotiation)
    }

    /// HTTP/2 on the connection: each stream is one request, turned into HTTP/1 parts by NIO's codec
    /// and served by its own ProxyHandler, so routing, filters, upstream pooling and statistics are
    /// the HTTP/1.1 path's.
    func addHTTP2(to channel: any Channel) throws {
        let idle = HTTP2IdleHandler(timeout: limits.idleTimeout)
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: http2.maxConcurrentStreams),
            HTTP2Setting(parameter: .maxHeaderListSize, value: http2.maxHeaderListSize ?? 2 * limits.maxHeaderBytes),
        ]
        let tables = self.tables
        let socket = self.socket
        let limits = self.limits
        let serverName = tlsServerName
        let pool = NIOLoopBound(self.pool, eventLoop: channel.eventLoop)
        let pipeline = channel.pipeline.syncOperations
        _ = try pipeline.configureHTTP2Pipeline(
            mode: .server, connectionConfiguration: connection, streamConfiguration: NIOHTTP2Handler.StreamConfiguration(),
            streamDelegate: idle.streamDelegate(eventLoop: channel.eventLoop)
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                let streamPipeline = stream.pipeline.syncOperations
                try streamPipeline.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                let proxy = ProxyHandler(
                    tables: tables, pool: pool.value, socket: socket, limits: limits, isHTTP2Stream: true,
                    tlsServerName: serverName)
                try streamPipeline.addHandler(StreamRequestReader(proxy: proxy))
                try streamPipeline.addHandler(proxy)
            }
        }
        try pipeline.addHandler(idle)
    }
}

/// Hands the request parts of an HTTP/2 stream to the stream's ProxyHandler, which reads bytes
/// when it serves HTTP/1.1. Everything else passes on to it.
final class StreamRequestReader: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart

    private let proxy: ProxyHandler

    init(proxy: ProxyHandler) {
        self.proxy = proxy
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        proxy.streamRead(unwrapInboundIn(data))
    }
}
