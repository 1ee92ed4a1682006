import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A real WebSocket upstream on 127.0.0.1 (NIO's server upgrader): it accepts every handshake,
/// echoes text and binary frames, answers pings, and closes when the client does.
final class WebSocketEchoServer: Sendable {
    let port: Int
    private let channel: any Channel
    private let handshakes: NIOLockedValueBox<[HTTPRequestHead]>
    private let open: NIOLockedValueBox<Int>

    private init(channel: any Channel, handshakes: NIOLockedValueBox<[HTTPRequestHead]>, open: NIOLockedValueBox<Int>) {
        self.channel = channel
        self.handshakes = handshakes
        self.open = open
        self.port = channel.localAddress?.port ?? 0
    }

    /// The heads of the handshakes accepted so far.
    var acceptedHandshakes: [HTTPRequestHead] { handshakes.withLockedValue { $0 } }
    /// Connections open now.
    var openConnections: Int { open.withLockedValue { $0 } }

    static func start() async throws -> WebSocketEchoServer {
        let handshakes = NIOLockedValueBox<[HTTPRequestHead]>([])
        let open = NIOLockedValueBox(0)
        let channel = try await bindLoopbackServer { channel in
            open.withLockedValue { $0 += 1 }
            channel.closeFuture.whenComplete { _ in open.withLockedValue { $0 -= 1 } }
            let upgrader = NIOWebSocketServerUpgrader(
                shouldUpgrade: { channel, head in
                    handshakes.withLockedValue { $0.append(head) }
                    return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(WebSocketEchoHandler())
                    }
                })
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                    withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
            }
        }
        return WebSocketEchoServer(channel: channel, handshakes: handshakes, open: open)
    }

    func stop() async {
        try? await channel.close()
    }
}

private final class WebSocketEchoHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: frame.opcode, data: frame.unmaskedData)), promise: nil)
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: frame.unmaskedData)))
                .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        default:
            break
        }
    }
}

/// A client's WebSocket frame as bytes: FIN, the opcode, the mask bit and key (clients must mask,
/// RFC 6455 5.3), and the masked payload (up to 125 bytes).
func maskedFrame(opcode: UInt8, _ payload: String, key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]) -> [UInt8] {
    maskedFrame(opcode: opcode, bytes: Array(payload.utf8), key: key)
}

func maskedFrame(opcode: UInt8, bytes: [UInt8], key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]) -> [UInt8] {
    precondition(bytes.count <= 125)
    return [0x80 | opcode, 0x80 | UInt8(bytes.count)] + key + bytes.enumerated().map { $0.element ^ key[$0.offset % 4] }
}

/// An upstream that accepts any handshake with a 101 and then sends `total` bytes as fast as its
/// connection takes them, counting what it has handed to the socket: what a proxy without
/// backpressure would read into memory when its client does not read. With `stopsReading` it
/// reads nothing more after the handshake (for the other direction).
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

    static func start(total: Int, stopsReading: Bool = false) async throws -> FloodingUpstream {
        let sent = NIOLockedValueBox(0)
        let channel = try await bindLoopbackServer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(Flooder(total: total, sent: sent, stopsReading: stopsReading))
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
    private var request: [UInt8] = []
    private var queued = 0
    private var flooding = false

    init(total: Int, sent: NIOLockedValueBox<Int>, stopsReading: Bool) {
        self.total = total
        self.sent = sent
        self.stopsReading = stopsReading
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !flooding else { return }
        var bytes = unwrapInboundIn(data)
        request += bytes.readBytes(length: bytes.readableBytes) ?? []
        guard String(decoding: request, as: UTF8.self).contains("\r\n\r\n") else { return }
        flooding = true
        if stopsReading { try? context.channel.syncOptions?.setOption(.autoRead, value: false) }
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")), promise: nil)
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
    }
}
