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
