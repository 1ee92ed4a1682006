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
        case readingHead(Scheduled<Void>)
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
        startClock()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if case .readingHead(let timer) = state { timer.cancel() }
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .waitingForBytes:
            startClock()
        case .expired:
            return
        case .readingHead, .inRequest:
            break
        }
        context.fireChannelRead(data)
    }

    /// The HTTP decoder produced a whole request head.
    func headReceived() {
        if case .readingHead(let timer) = state { timer.cancel() }
        if case .expired = state { return }
        state = .inRequest
    }

    /// The response to the current request ended and the connection stays open.
    func requestFinished() {
        switch state {
        case .inRequest: state = .waitingForBytes
        case .waitingForBytes, .readingHead, .expired: break
        }
    }

    private func startClock() {
        guard let context else { return }
        let timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] () -> Void in
            self?.expire()
        }
        state = .readingHead(timer)
    }

    private func expire() {
        guard case .readingHead = state, let context else { return }
        state = .expired
        context.writeAndFlush(wrapOutboundOut(Self.response)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
