import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A real upstream on 127.0.0.1 that answers with fixed bytes per request path and keeps the bytes
/// of every request it got: for checking the proxy's framing on the wire, both ways. A request
/// ends after its head, its Content-Length, or its last chunk; an answer whose bytes are followed
/// by `close` closes the connection after them.
final class RawUpstream: Sendable {
    struct Answer: Sendable {
        var bytes: String
        var close = false
    }

    let port: Int
    private let channel: any Channel
    private let received: NIOLockedValueBox<[String]>

    private init(channel: any Channel, received: NIOLockedValueBox<[String]>) {
        self.channel = channel
        self.received = received
        self.port = channel.localAddress?.port ?? 0
    }

    /// Every request received so far, as bytes (text).
    var requests: [String] { received.withLockedValue { $0 } }

    /// `answers` by request path (the request target as received).
    static func start(_ answers: [String: Answer]) async throws -> RawUpstream {
        let received = NIOLockedValueBox<[String]>([])
        let channel = try await bindLoopbackServer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(RawAnswerer(answers: answers, received: received))
            }
        }
        return RawUpstream(channel: channel, received: received)
    }

    func stop() async {
        try? await channel.close()
    }
}

private final class RawAnswerer: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let answers: [String: RawUpstream.Answer]
    let received: NIOLockedValueBox<[String]>
    private var pending = ""

    init(answers: [String: RawUpstream.Answer], received: NIOLockedValueBox<[String]>) {
        self.answers = answers
        self.received = received
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        pending += buffer.readString(length: buffer.readableBytes) ?? ""
        while let request = takeRequest() {
            received.withLockedValue { $0.append(request) }
            let target = request.split(separator: " ", maxSplits: 2).dropFirst().first.map(String.init) ?? ""
            let answer = answers[target] ?? RawUpstream.Answer(bytes: "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            let written = context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer.bytes)))
            if answer.close {
                written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                return
            }
        }
    }

    /// The first whole request in `pending`, removed from it.
    private func takeRequest() -> String? {
        guard let headEnd = pending.range(of: "\r\n\r\n") else { return nil }
        let head = pending[..<headEnd.upperBound].lowercased()
        var end = headEnd.upperBound
        if head.contains("transfer-encoding: chunked") {
            guard let last = pending.range(of: "0\r\n\r\n", range: headEnd.upperBound..<pending.endIndex) else { return nil }
            end = last.upperBound
        } else if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        {
            guard pending.utf8.count - pending[..<headEnd.upperBound].utf8.count >= length else { return nil }
            end = pending.utf8.index(headEnd.upperBound, offsetBy: length)
        }
        let request = String(pending[..<end])
        pending = String(pending[end...])
        return request
    }
}
