import NIOCore

/// nginx's `client_header_timeout`: a request head must arrive whole within
/// `Limits.headerReadTimeout`, counted from the connection's start for its first request and
/// from the first byte of each later one (between requests the idle timeout applies). A
/// connection that misses it is answered 408 and closed, so a client trickling a head
/// (slowloris) holds its connection for seconds, not until the idle timeout.
///
/// It sits in front of the HTTP decoder, where bytes arrive, and writes its 408 there: no request
/// head exists for the HTTP pipeline to answer. `ProxyHandler` tells it when a head was decoded
/// and when the response to it ended.
final class HeaderReadDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        /// Between requests: the next byte starts the clock.
        case waitingForBytes
        case readingHead(since: NIODeadline)
        /// A head arrived; its request and response are the proxy handler's business.
        case inRequest
        case expired
    }

    static let response = ByteBuffer(string: "HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")

    private let timeout: TimeAmount
    private var state = State.waitingForBytes
    private var context: ChannelHandlerContext?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        state = .readingHead(since: context.eventLoop.now)
        check(after: timeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .waitingForBytes:
            state = .readingHead(since: context.eventLoop.now)
        case .expired:
            return
        case .readingHead, .inRequest:
            break
        }
        context.fireChannelRead(data)
    }

    /// The HTTP decoder produced a whole request head.
    func headReceived() {
        switch state {
        case .readingHead, .waitingForBytes: state = .inRequest
        case .inRequest, .expired: break
        }
    }

    /// The response to the current request ended and the connection stays open.
    func requestFinished() {
        switch state {
        case .inRequest: state = .waitingForBytes
        case .waitingForBytes, .readingHead, .expired: break
        }
    }

    /// One timer per connection, as for the idle timeout: requests do not each schedule and
    /// cancel one. It answers 408 once a head has been read for the whole timeout; otherwise it
    /// looks again when that could next be the case.
    private func check(after delay: TimeAmount) {
        guard let context else { return }
        context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] () -> Void in
            guard let self, let context = self.context else { return }
            switch self.state {
            case .readingHead(let since):
                let elapsed = context.eventLoop.now - since
                if elapsed >= self.timeout {
                    self.expire()
                } else {
                    self.check(after: self.timeout - elapsed)
                }
            case .waitingForBytes, .inRequest:
                self.check(after: self.timeout)
            case .expired:
                return
            }
        }
    }

    private func expire() {
        guard let context else { return }
        state = .expired
        context.writeAndFlush(wrapOutboundOut(Self.response)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
