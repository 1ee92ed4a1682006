import NIOCore
import NIOHTTP2

/// Closes an HTTP/2 connection that has had no open stream for the idle timeout, as an idle HTTP/1.1
/// connection is closed (the per-request handlers of the streams have no idle timer of their own:
/// a stream lives for one request), and one that NIOHTTP2 has ended with a GOAWAY for a connection
/// error: NIOHTTP2 sends the GOAWAY and reports the error, but leaves the close to the application
/// (RFC 9113 5.4.1 requires it).
final class HTTP2IdleHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame

    private let timeout: TimeAmount
    private var context: ChannelHandlerContext?
    private var openStreams = 0
    private var lastStreamID = HTTP2StreamID.rootStream
    private var idleSince = NIODeadline.uptimeNanoseconds(0)

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    /// Counts streams as NIOHTTP2 opens and closes them; made on the connection's event loop, before
    /// the NIOHTTP2 handler that takes it.
    func streamDelegate(eventLoop: any EventLoop) -> StreamDelegate {
        StreamDelegate(handler: NIOLoopBound(self, eventLoop: eventLoop))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        idleSince = context.eventLoop.now
        check(after: timeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    private func check(after delay: TimeAmount) {
        guard let context else { return }
        context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] () -> Void in
            guard let self, let context = self.context else { return }
            guard self.openStreams == 0 else {
                self.check(after: self.timeout)
                return
            }
            let idle = context.eventLoop.now - self.idleSince
            if idle >= self.timeout {
                // GOAWAY first, so a client knows no stream was lost, then close.
                let goAway = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: self.lastStreamID, errorCode: .noError, opaqueData: nil))
                context.writeAndFlush(NIOAny(goAway)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            } else {
                self.check(after: self.timeout - idle)
            }
        }
    }

    /// Errors NIOHTTP2 reports after a GOAWAY for frames it could not accept (unparseable, a header
    /// list past SETTINGS_MAX_HEADER_LIST_SIZE, too many CONTINUATION frames) or for abuse (its
    /// denial-of-service heuristics), and anything not from NIOHTTP2 (socket, TLS). Other NIOHTTP2
    /// errors concern one stream, which NIOHTTP2 has already reset; the connection stays.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is any NIOHTTP2Error else {
            context.close(promise: nil)
            return
        }
        switch error {
        case is NIOHTTP2Errors.UnableToParseFrame, is NIOHTTP2Errors.BadClientMagic,
             is NIOHTTP2Errors.ExcessivelyLargeHeaderBlock, is NIOHTTP2Errors.ExcessiveContinuationFrames,
             is NIOHTTP2Errors.ExcessiveRSTFrames, is NIOHTTP2Errors.ExcessiveControlFrames,
             is NIOHTTP2Errors.ExcessiveEmptyDataFrames, is NIOHTTP2Errors.ExcessiveStreamErrors,
             is NIOHTTP2Errors.ExcessiveNumberOfGlitches:
            context.close(promise: nil)
        default:
            break
        }
    }

    fileprivate func streamCreated(_ id: HTTP2StreamID) {
        openStreams += 1
        lastStreamID = max(lastStreamID, id)
    }

    fileprivate func streamClosed() {
        openStreams -= 1
        if openStreams == 0, let context { idleSince = context.eventLoop.now }
    }

    /// Called by NIOHTTP2 on the connection's event loop.
    struct StreamDelegate: NIOHTTP2StreamDelegate {
        let handler: NIOLoopBound<HTTP2IdleHandler>

        func streamCreated(_ id: HTTP2StreamID, channel: any Channel) { handler.value.streamCreated(id) }
        func streamClosed(_ id: HTTP2StreamID, channel: any Channel) { handler.value.streamClosed() }
    }
}
