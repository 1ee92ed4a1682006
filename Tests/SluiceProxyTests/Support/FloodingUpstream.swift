import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// An upstream that accepts any handshake with a 101 and then sends `total` bytes as fast as its
/// connection takes them, counting what it has handed to the socket: what a proxy without
/// backpressure would read into memory when its client does not read. With `stopsReading` it
/// reads nothing more after the handshake (for the other direction). With `http` it answers
/// each request with a plain 200 whose body is the `total` bytes, on a kept connection.
final class FloodingUpstream: Sendable {
    let port: Int
    private let channel: any Channel
    private let sent: NIOLockedValueBox<Int>

    private init(channel: any Channel, sent: NIOLockedValueBox<Int>) {
        self.channel = channel
        self.sent = sent
        self.port = channel.localAddress?.port ?? 0
    }

    /// Bytes written to the socket so far (after the 101).
    var bytesSent: Int { sent.withLockedValue { $0 } }

    static func start(total: Int, stopsReading: Bool = false, http: Bool = false) async throws -> FloodingUpstream {
        let sent = NIOLockedValueBox(0)
        let channel = try await bindLoopbackServer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(Flooder(total: total, sent: sent, stopsReading: stopsReading, http: http))
            }
        }
        return FloodingUpstream(channel: channel, sent: sent)
    }

    func stop() async {
        try? await channel.close()
    }
}

private final class Flooder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let total: Int
    let sent: NIOLockedValueBox<Int>
    let stopsReading: Bool
    let http: Bool
    private var request: [UInt8] = []
    private var queued = 0
    private var flooding = false

    init(total: Int, sent: NIOLockedValueBox<Int>, stopsReading: Bool, http: Bool) {
        self.total = total
        self.sent = sent
        self.stopsReading = stopsReading
        self.http = http
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        request += bytes.readBytes(length: bytes.readableBytes) ?? []
        answerNextRequest(context: context)
    }

    private func answerNextRequest(context: ChannelHandlerContext) {
        guard !flooding, let end = (0..<max(request.count - 3, 0)).first(where: { request[$0..<($0 + 4)].elementsEqual([13, 10, 13, 10]) })
        else { return }
        request.removeFirst(end + 4)
        flooding = true
        queued = 0
        if stopsReading { try? context.channel.syncOptions?.setOption(.autoRead, value: false) }
        let head = http
            ? "HTTP/1.1 200 OK\r\nContent-Length: \(total)\r\n\r\n"
            : "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: head)), promise: nil)
        flood(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if flooding { flood(context: context) }
        context.fireChannelWritabilityChanged()
    }

    /// Queues 64 KiB at a time while the channel is writable, counting each as it is written.
    private func flood(context: ChannelHandlerContext) {
        let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 * 1024)
        let sent = self.sent
        while context.channel.isWritable && queued < total {
            queued += chunk.readableBytes
            context.writeAndFlush(wrapOutboundOut(chunk)).whenSuccess { sent.withLockedValue { $0 += chunk.readableBytes } }
        }
        if http && queued >= total {
            flooding = false
            answerNextRequest(context: context)
        }
    }
}

/// Counts the bytes a client receives.
final class ReceivedByteCounter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let count: NIOLockedValueBox<Int>

    init(count: NIOLockedValueBox<Int>) { self.count = count }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data).readableBytes
        count.withLockedValue { $0 += bytes }
    }
}

/// A client connection to 127.0.0.1:`port` that reads nothing until its `autoRead` is turned on,
/// then counts the bytes it receives in `counting`.
func connectNonReadingClient(port: Int, counting: NIOLockedValueBox<Int>) async throws -> any Channel {
    try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .channelOption(.autoRead, value: false)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(ReceivedByteCounter(count: counting)) }
        }
        .connect(host: "127.0.0.1", port: port).get()
}

/// An upstream that reads a request's head, then reads nothing more until `resume()`, counting
/// the bytes it got; once it has `expecting` bytes after the head, it answers 200 with no body.
final class StallingUpstream: Sendable {
    let port: Int
    private let channel: any Channel
    private let state: NIOLockedValueBox<(received: Int, connection: (any Channel)?)>

    private init(channel: any Channel, state: NIOLockedValueBox<(received: Int, connection: (any Channel)?)>) {
        self.channel = channel
        self.state = state
        self.port = channel.localAddress?.port ?? 0
    }

    /// Body bytes received so far.
    var bodyBytesReceived: Int { state.withLockedValue { $0.received } }

    static func start(expecting total: Int) async throws -> StallingUpstream {
        let state = NIOLockedValueBox<(received: Int, connection: (any Channel)?)>((0, nil))
        let channel = try await bindLoopbackServer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(Staller(total: total, state: state))
            }
        }
        return StallingUpstream(channel: channel, state: state)
    }

    func resume() async throws {
        let connection = state.withLockedValue { $0.connection }
        try await connection?.setOption(.autoRead, value: true).get()
    }

    func stop() async {
        try? await channel.close()
    }
}

private final class Staller: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let total: Int
    let state: NIOLockedValueBox<(received: Int, connection: (any Channel)?)>
    private var head: [UInt8] = []
    private var headDone = false

    init(total: Int, state: NIOLockedValueBox<(received: Int, connection: (any Channel)?)>) {
        self.total = total
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if !headDone {
            head += bytes.readBytes(length: bytes.readableBytes) ?? []
            guard let end = (0..<max(head.count - 3, 0)).first(where: { head[$0..<($0 + 4)].elementsEqual([13, 10, 13, 10]) }) else { return }
            headDone = true
            let body = head.count - end - 4
            let channel = context.channel
            state.withLockedValue { $0 = (body, channel) }
            try? context.channel.syncOptions?.setOption(.autoRead, value: false)
        } else {
            let count = bytes.readableBytes
            state.withLockedValue { $0.received += count }
        }
        if state.withLockedValue({ $0.received }) >= total {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")), promise: nil)
        }
    }
}

/// Queues `total` bytes (a multiple of 64 KiB) on a client's `channel` at once; the box counts
/// those the socket has taken, which is all a peer that stops reading lets out.
func flood(_ channel: any Channel, bytes total: Int) async throws -> NIOLockedValueBox<Int> {
    let written = NIOLockedValueBox(0)
    let chunk = ByteBuffer(repeating: UInt8(ascii: "y"), count: 64 * 1024)
    try await channel.eventLoop.submit {
        for _ in 0..<(total / chunk.readableBytes) {
            channel.writeAndFlush(chunk).whenSuccess { written.withLockedValue { $0 += chunk.readableBytes } }
        }
    }.get()
    return written
}
