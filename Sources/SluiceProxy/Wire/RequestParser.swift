import NIOCore
import NIOHTTP1

/// A request head as the client sent it: its bytes, with the request target and the fields
/// located in them.
struct ReceivedRequestHead {
    /// From the request line to the empty line.
    var bytes: ByteBuffer
    var method: HTTPMethod
    /// The request target, in `bytes`.
    var target: Range<Int>
    var fields: [ReceivedField]
    /// The client may send another request on the connection after this one.
    var keepAlive: Bool
    var isHTTP11: Bool
    /// `Expect: 100-continue`: the proxy answers it (100) and does not forward it.
    var expectsContinue: Bool
    /// `Connection: upgrade` with `Upgrade: websocket`: forwarded as an upgrade when it is an
    /// HTTP/1.1 GET (`ProxyHandler` decides).
    var upgradesToWebSocket: Bool
    var hasContentLength: Bool
    /// A Transfer-Encoding (its last coding is chunked: anything else is refused).
    var isChunked: Bool
    /// The first Host field's value, in `bytes`.
    var host: Range<Int>?
    /// The bytes of the fields' names and values, each field counted with 4 more (the limit on
    /// header size counts so).
    var fieldBytes: Int

    var body: MessageBodyReader.Framing

    var uri: String { text(target) }

    func text(_ range: Range<Int>) -> String {
        bytes.withUnsafeReadableBytes { FieldLines.text($0, range) }
    }

    /// The fields as `HTTPHeaders`, for the paths that change headers (filters, mirrors).
    func headers() -> HTTPHeaders {
        bytes.withUnsafeReadableBytes { FieldLines.headers($0, fields) }
    }
}

extension ReceivedRequestHead: HeaderFieldLookup {
    func combinedValue(named name: String) -> Substring? {
        bytes.withUnsafeReadableBytes { raw in
            var combined: String?
            for field in fields where field.name.count == name.utf8.count {
                let candidate = UnsafeRawBufferPointer(rebasing: raw[field.name])
                guard zip(candidate, name.utf8).allSatisfy({ Self.lowercased($0) == Self.lowercased($1) }) else { continue }
                let value = FieldLines.text(raw, field.value)
                combined = combined.map { $0 + "," + value } ?? value
            }
            return combined.map { Substring($0) }
        }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}

/// What a client sent on an HTTP/1.1 connection, in order: a head, body bytes (without chunk
/// framing), the end (with trailers, if any).
enum RequestPart {
    case head(ReceivedRequestHead)
    case body(ByteBuffer)
    case end(HTTPHeaders?)
}

/// Reads HTTP/1.1 requests from a client connection's bytes (RFC 9112), as strictly as llhttp:
/// a request line of a token method, a target without spaces or controls and HTTP/1.0 or 1.1;
/// the field rules of `FieldLines`; and no framing two hops could read differently: a
/// Content-Length with a Transfer-Encoding, Content-Lengths that differ, a Transfer-Encoding whose
/// last coding is not chunked, a malformed chunk (request smuggling).
///
/// Replaces NIO's `HTTPRequestDecoder`, which builds every header name and value as a `String`:
/// most heads are forwarded with their fields as they came, so the fields are located, not copied.
struct RequestParser {
    /// Heads longer than this are refused (NIO's decoder's default limit); the proxy's own limits
    /// on the target and the fields (414, 431) are lower and checked on the parsed head.
    static let maxHeadBytes = 80 * 1024

    private var body = MessageBodyReader()
    private var fields: [ReceivedField] = []
    private var headScan = HeadScan()

    /// No request is being read: the next bytes are a head.
    var isBetweenRequests: Bool { body.isDone }

    /// The next part in `buffer`, consuming its bytes, or nil when more bytes are needed.
    mutating func next(_ buffer: inout ByteBuffer) throws -> RequestPart? {
        if !body.isDone {
            switch try body.next(&buffer) {
            case .body(let bytes): return .body(bytes)
            case .end(let trailers): return .end(trailers)
            case nil: return nil
            }
        }
        // Empty lines before a request line are ignored (RFC 9112 2.2): some clients send CRLF
        // after a body.
        while buffer.readableBytes >= 2, buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A {
            buffer.moveReaderIndex(forwardBy: 2)
            headScan = HeadScan()
        }
        guard buffer.readableBytes > 0 else { return nil }
        guard let head = try readHead(&buffer) else { return nil }
        body.start(head.body)
        return .head(head)
    }

    private mutating func readHead(_ buffer: inout ByteBuffer) throws -> ReceivedRequestHead? {
        guard let bytes = try headScan.take(from: &buffer, limit: Self.maxHeadBytes) else { return nil }
        // One array for every head on the connection: its capacity is kept (the head handed out
        // before is gone by the time the next one is read).
        fields.removeAll(keepingCapacity: true)
        return try bytes.withUnsafeReadableBytes { raw in
            let (method, target, isHTTP11, fieldsStart) = try Self.requestLine(raw)
            try FieldLines.parse(raw, from: fieldsStart, to: raw.count, into: &fields)
            let summary = try FieldSummary(raw, fields, isHTTP11: isHTTP11)
            // The proxy routes by the first Host; a next hop reading another one would serve a
            // host the route was not chosen for (RFC 9112 3.2: 400).
            if summary.hostFields > 1 { throw HeadParseError(reason: "more than one Host field") }
            // A request body runs to its length or its last chunk, never to the close (RFC 9112 6.3).
            if summary.transferEncodings > 0 && !summary.lastCodingIsChunked {
                throw HeadParseError(reason: "Transfer-Encoding does not end with chunked")
            }
            let body: MessageBodyReader.Framing =
                summary.transferEncodings > 0 ? .chunked : summary.contentLength.map { .length($0) } ?? .none
            return ReceivedRequestHead(
                bytes: bytes, method: method, target: target, fields: fields, keepAlive: summary.keepAlive, isHTTP11: isHTTP11,
                expectsContinue: summary.expectsContinue, upgradesToWebSocket: summary.upgradesToWebSocket,
                hasContentLength: summary.contentLength != nil,
                isChunked: summary.transferEncodings > 0, host: summary.host, fieldBytes: summary.fieldBytes, body: body)
        }
    }

    /// `METHOD SP request-target SP HTTP/1.x CRLF`: the method, the target's range, whether it is
    /// HTTP/1.1, and where the fields start.
    private static func requestLine(_ raw: UnsafeRawBufferPointer) throws -> (HTTPMethod, Range<Int>, Bool, Int) {
        var index = 0
        while index < raw.count, WireText.isTokenByte(raw[index]) { index += 1 }
        guard index > 0, index < raw.count, raw[index] == 0x20 else { throw HeadParseError(reason: "the method is not a token followed by a space") }
        let method = methodNamed(UnsafeRawBufferPointer(rebasing: raw[0..<index]))
        index += 1
        let targetStart = index
        while index < raw.count, raw[index] > 0x20, raw[index] != 0x7F { index += 1 }
        let target = targetStart..<index
        guard !target.isEmpty, index + 11 <= raw.count, raw[index] == 0x20 else {
            throw HeadParseError(reason: "the request target is empty or has a space or control character")
        }
        guard let isHTTP11 = HTTPVersionText.http1(in: raw, at: index + 1), raw[index + 9] == 0x0D, raw[index + 10] == 0x0A
        else { throw HeadParseError(reason: "not an HTTP/1.0 or HTTP/1.1 request line") }
        return (method, target, isHTTP11, index + 11)
    }

    private static func methodNamed(_ name: UnsafeRawBufferPointer) -> HTTPMethod {
        if name.count == 3, name[0] == UInt8(ascii: "G"), name[1] == UInt8(ascii: "E"), name[2] == UInt8(ascii: "T") { return .GET }
        return HTTPMethod(rawValue: String(decoding: name, as: UTF8.self))
    }
}
