import NIOCore

/// Reads the first bytes of a plain-HTTP connection and decides its protocol: the HTTP/2 client
/// preface (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`) means h2c with prior knowledge, anything else
/// HTTP/1.1. It decides as soon as the bytes differ from the preface, so an HTTP/1.1 request waits
/// for no more than its first byte or two; then it hands every byte read to the chosen pipeline and
/// leaves. A connection that sends nothing is closed after `timeout`, answered `silenceAnswer` first
/// when given (the header-read deadline's 408: a client that never started its request head).
final class CleartextProtocolDetector: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    enum Detected {
        case http1
        case http2
    }

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private let configure: (Detected, ChannelHandlerContext) throws -> Void
    private let timeout: TimeAmount
    private let silenceAnswer: ByteBuffer?
    private var decided = false
    private var silence: Scheduled<Void>?

    /// `configure` adds the handlers for the detected protocol after this one.
    init(
        timeout: TimeAmount, silenceAnswer: ByteBuffer? = nil,
        configure: @escaping (Detected, ChannelHandlerContext) throws -> Void
    ) {
        self.timeout = timeout
        self.silenceAnswer = silenceAnswer
        self.configure = configure
    }

    func decoderAdded(context: ChannelHandlerContext) {
        silence = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] () -> Void in
            guard let self, !self.decided else { return }
            guard let answer = self.silenceAnswer else {
                context.close(promise: nil)
                return
            }
            context.writeAndFlush(NIOAny(answer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    func decoderRemoved(context: ChannelHandlerContext) {
        silence?.cancel()
        silence = nil
    }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard !decided else { return .needMoreData }
        let length = min(buffer.readableBytes, Self.preface.count)
        let matches = buffer.withUnsafeReadableBytes { bytes in
            zip(bytes.prefix(length), Self.preface).allSatisfy { $0 == $1 }
        }
        let detected: Detected
        if !matches {
            detected = .http1
        } else if length == Self.preface.count {
            detected = .http2
        } else {
            return .needMoreData
        }
        decided = true
        silence?.cancel()
        try configure(detected, context)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        return .needMoreData
    }

    /// On removal the bytes read so far go to the pipeline that was chosen.
    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        if decided, buffer.readableBytes > 0 {
            context.fireChannelRead(NIOAny(buffer))
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        }
        return .needMoreData
    }
}
