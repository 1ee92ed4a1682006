import NIOCore
import NIOHTTP1

/// Answers the proxy makes itself: redirects, 4xx and 5xx.
extension ProxyHandler {
    /// `method` is the request's: an answer to HEAD has the fields but not the body.
    func write(_ response: DirectResponse, method: HTTPMethod, keepAlive: Bool, context: ChannelHandlerContext) {
        if case .redirect(_, let location) = response, !WireText.isFieldValue(location) {
            // A redirect built from a hostname or path that cannot go in a header.
            write(.plain(.internalServerError), method: method, keepAlive: keepAlive, context: context)
            return
        }
        var headers = HTTPHeaders()
        let (status, body) = response.statusAndBody
        switch response {
        case .redirect(_, let location):
            headers.add(name: "location", value: location)
        case .preflight(let fields):
            for (name, value) in fields { headers.add(name: name, value: value) }
            headers.add(name: "vary", value: "Origin")
        case .plain:
            break
        }
        // A 204 has no body, and so no Content-Length (RFC 9110 8.6).
        if status != .noContent {
            headers.add(name: "content-type", value: "text/plain; charset=utf-8")
            headers.add(name: "content-length", value: String(body.utf8.count))
        }
        if !keepAlive { headers.add(name: "connection", value: "close") }
        guard isHTTP2Stream else {
            let (framing, bodyless) = HTTP1Writer.responseFraming(status: status, requestMethod: method, headers: &headers)
            var bytes = context.channel.allocator.buffer(capacity: 256)
            HTTP1Writer.writeResponseHead(status: status, headers: headers, close: false, framing: framing, into: &bytes)
            if !bodyless {
                bytes.writeString(body)
                HTTP1Writer.writeEnd(chunked: framing.chunked, trailers: nil, into: &bytes)
            }
            if keepAlive {
                context.writeAndFlush(NIOAny(bytes), promise: nil)
            } else {
                state = .closed
                context.writeAndFlush(NIOAny(bytes)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
            return
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            state = .closed
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
