import NIOCore
import NIOHTTP1

/// NIO's `HTTPResponseDecoder` (llhttp) for an upstream connection whose requests are written as
/// bytes (`HTTP1Writer`).
///
/// The response decoder has to know which requests were HEAD or CONNECT, whose answers carry no
/// body whatever their Content-Length says. It learns that by watching request heads written
/// through its `ByteToMessageHandler`, which would then refuse the bytes the proxy writes. This
/// wrapper hides that write observation, so writes pass the handler untouched, and the proxy tells
/// the decoder each request's method itself, through the same `write(data:)` it would have seen.
final class UpstreamResponseDecoder: ByteToMessageDecoder {
    typealias InboundOut = HTTPClientResponsePart

    private let http = HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop)

    /// The decoder reads only the method of a request head: one shared head per kind of answer.
    private static let get = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
    private static let head = HTTPRequestHead(version: .http1_1, method: .HEAD, uri: "/")
    private static let connect = HTTPRequestHead(version: .http1_1, method: .CONNECT, uri: "/")

    /// A request with this method was written: its response comes next, in order.
    func expectResponse(to method: HTTPMethod) {
        switch method {
        case .HEAD: http.write(data: .head(Self.head))
        case .CONNECT: http.write(data: .head(Self.connect))
        default: http.write(data: .head(Self.get))
        }
    }

    func decoderAdded(context: ChannelHandlerContext) {
        http.decoderAdded(context: context)
    }

    func decoderRemoved(context: ChannelHandlerContext) {
        http.decoderRemoved(context: context)
    }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        try http.decode(context: context, buffer: &buffer)
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try http.decodeLast(context: context, buffer: &buffer, seenEOF: seenEOF)
    }
}
