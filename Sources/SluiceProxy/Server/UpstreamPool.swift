import NIOCore
import NIOHTTP1
import NIOPosix

/// Keep-alive HTTP/1.1 connections to upstream endpoints, owned by one event loop. Downstream
/// connections on that loop borrow from it, so no lock is taken and bytes never change threads.
final class UpstreamPool {
    let eventLoop: any EventLoop
    let connectTimeout: TimeAmount
    let maxIdlePerEndpoint: Int
    private var idle: [Endpoint: [UpstreamConnection]] = [:]
    /// A fast generator for weighted picks (random per request, as Envoy does).
    var random: SplitMix64

    init(eventLoop: any EventLoop, connectTimeout: TimeAmount, maxIdlePerEndpoint: Int) {
        self.eventLoop = eventLoop
        self.connectTimeout = connectTimeout
        self.maxIdlePerEndpoint = maxIdlePerEndpoint
        self.random = SplitMix64(seed: UInt64.random(in: .min ... .max))
    }

    /// An idle connection to `endpoint`, if one is open: the common case, answered without a future.
    func takeIdle(_ endpoint: Endpoint) -> UpstreamConnection? {
        // Popping through the dictionary's subscript edits the list in place; a copy taken out and
        // written back would copy (and retain and release) every pooled connection on each request.
        while let connection = idle[endpoint]?.popLast() {
            if connection.isUsable { return connection }
        }
        return nil
    }

    /// An idle connection to `endpoint`, or a new one.
    func acquire(_ endpoint: Endpoint) -> EventLoopFuture<UpstreamConnection> {
        if let connection = takeIdle(endpoint) { return eventLoop.assumeIsolated().makeSucceededFuture(connection) }
        return connect(endpoint)
    }

    /// A new connection to `endpoint` (when `takeIdle` had none).
    func connect(_ endpoint: Endpoint) -> EventLoopFuture<UpstreamConnection> {
        let bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Requests are checked before they are written (WireText): no validator hop per part.
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(enableOutboundHeaderValidation: false)
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler())
                }
            }
        return bootstrap.connect(host: endpoint.host, port: endpoint.port).assumeIsolated().flatMapThrowing { channel in
            let handler = try channel.pipeline.syncOperations.handler(type: UpstreamHandler.self)
            return UpstreamConnection(channel: channel, handler: handler, endpoint: endpoint)
        }.nonisolated()
    }

    /// Returns a connection after a complete exchange that left it open.
    func release(_ connection: UpstreamConnection) {
        guard connection.isUsable else { return }
        guard (idle[connection.endpoint]?.count ?? 0) < maxIdlePerEndpoint else {
            connection.channel.close(promise: nil)
            return
        }
        connection.handler.delegate = nil
        idle[connection.endpoint, default: []].append(connection)
    }

    /// Closes every idle connection (shutdown).
    func closeAll() {
        for (_, list) in idle { for connection in list { connection.channel.close(promise: nil) } }
        idle = [:]
    }
}

/// One upstream connection; `handler` passes response parts to whoever borrowed it.
final class UpstreamConnection {
    let channel: any Channel
    let handler: UpstreamHandler
    let endpoint: Endpoint

    init(channel: any Channel, handler: UpstreamHandler, endpoint: Endpoint) {
        self.channel = channel
        self.handler = handler
        self.endpoint = endpoint
    }

    var isUsable: Bool { channel.isActive && !handler.closed }
}

/// Receives what an upstream connection answers.
protocol UpstreamDelegate: AnyObject {
    func upstreamReceived(_ part: HTTPClientResponsePart)
    func upstreamFailed(_ error: any Error)
    /// A batch of reads ended: time to flush what was written downstream.
    func upstreamReadComplete()
}

/// The last handler of an upstream pipeline: passes response parts to the current delegate.
final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    weak var delegate: (any UpstreamDelegate)?
    private(set) var closed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        delegate?.upstreamReceived(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        delegate?.upstreamReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        if let delegate {
            self.delegate = nil
            delegate.upstreamFailed(ChannelError.ioOnClosedChannel)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closed = true
        if let delegate {
            self.delegate = nil
            delegate.upstreamFailed(error)
        }
        context.close(promise: nil)
    }
}

/// SplitMix64: a small, fast generator; weighted picks need speed, not secrecy.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
