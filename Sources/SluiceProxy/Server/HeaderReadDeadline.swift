import NIOCore

/// nginx's `client_header_timeout`: a request head must arrive whole within
/// `Limits.headerReadTimeout`, counted from the connection's start for its first request and
/// from the first byte of each later one (between requests the idle timeout applies). A
/// connection that misses it is answered 408 and closed, so a client trickling a head
/// (slowloris) holds its connection for seconds, not until the idle timeout.
///
/// `ProxyHandler` owns it (no handler of its own: a pipeline hop on every read) and tells it when
/// bytes arrive, when a head was parsed and when the response to it ended; it writes its 408
/// through the proxy handler's context, as no request head exists to answer.
final class HeaderReadDeadline {
    private enum State {
        /// Between requests: the next byte starts the clock.
        case waitingForBytes
        /// `since` is the head's first byte, or the connection's start for its first head (when
        /// the clock starts before any byte: a pooled client connection may wait long before
        /// its first request).
        case readingHead(since: NIODeadline, fromFirstByte: Bool)
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

    /// The connection starts: the clock runs for its first head.
    func start(context: ChannelHandlerContext) {
        self.context = context
        state = .readingHead(since: context.eventLoop.now, fromFirstByte: false)
        check(after: timeout)
    }

    func stop() {
        context = nil
    }

    /// Bytes arrived: the first after a response starts the clock for the next head. False once
    /// the deadline has passed (the bytes are dropped: the connection is being closed).
    func bytesArrived() -> Bool {
        switch state {
        case .waitingForBytes:
            state = .readingHead(since: context?.eventLoop.now ?? .now(), fromFirstByte: true)
        case .expired:
            return false
        case .readingHead, .inRequest:
            break
        }
        return true
    }

    /// The parser produced a whole request head. Returns when its first byte arrived if that was
    /// timed (not for a connection's first head, nor one read with the request before it).
    @discardableResult
    func headReceived() -> NIODeadline? {
        switch state {
        case .readingHead(let since, let fromFirstByte):
            state = .inRequest
            return fromFirstByte ? since : nil
        case .waitingForBytes:
            state = .inRequest
            return nil
        case .inRequest, .expired:
            return nil
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
            case .readingHead(let since, _):
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
        context.writeAndFlush(NIOAny(Self.response)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
