import NIOCore
import NIOHTTP1

/// A response head as the upstream sent it: its bytes, with the fields located in them.
struct ReceivedResponseHead {
    /// From the status line to the empty line.
    var bytes: ByteBuffer
    var status: HTTPResponseStatus
    /// The reason phrase, in `bytes` (may be empty).
    var reason: Range<Int>
    var fields: [ReceivedField]
    /// The connection can carry another request once this response has ended.
    var keepAlive: Bool
    /// How the body that follows is delimited on the upstream connection.
    var body: Body
    var hasContentLength: Bool
    /// A Transfer-Encoding whose last coding is chunked.
    var isChunked: Bool

    typealias Body = MessageBodyReader.Framing

    /// The fields as `HTTPHeaders` (with the hop-by-hop ones), for the paths that change headers.
    func headers() -> HTTPHeaders {
        bytes.withUnsafeReadableBytes { FieldLines.headers($0, fields) }
    }

    /// The head as NIO's type, for the paths that change headers (filters, HTTP/2 streams).
    func responseHead() -> HTTPResponseHead {
        let phrase = bytes.withUnsafeReadableBytes { FieldLines.text($0, reason) }
        return HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: Int(status.code), reasonPhrase: phrase), headers: headers())
    }
}

/// What an upstream connection answered, in order: a head, body bytes (without chunk framing),
/// the end (with trailers, if any). After a 101 to an upgrade request: its head, then the
/// tunnel's bytes as they come, and no end.
enum UpstreamResponsePart {
    case head(ReceivedResponseHead)
    case body(ByteBuffer)
    case end(HTTPHeaders?)
    case tunnel(ByteBuffer)
}

/// Reads HTTP/1.1 responses from an upstream connection's bytes (RFC 9112), as strictly as llhttp
/// and refusing what could make the proxy and the upstream disagree on where a response ends: a
/// Content-Length with a Transfer-Encoding, Content-Lengths that differ, a malformed chunk. Bytes
/// the upstream sends with no request outstanding are refused too, so an upstream cannot queue an
/// answer for the next client of a pooled connection.
///
/// Replaces NIO's `HTTPResponseDecoder`, which builds every header name and value as a `String`
/// and hands parts through a decoder handler: most heads are forwarded unchanged, so their fields
/// are located, not copied (`ReceivedField`).
struct UpstreamResponseParser {
    /// Heads longer than this are refused (NIO's decoder's default limit).
    static let maxHeadBytes = 80 * 1024

    private var expected = CircularBuffer<HTTPMethod>(initialCapacity: 2)
    /// The first expected response answers a request that asked to upgrade.
    private var upgradeExpected = false
    /// A 101 switched the connection: what follows is not HTTP.
    private(set) var switchedProtocols = false
    private var body = MessageBodyReader()
    private var fields: [ReceivedField] = []
    private var headScan = HeadScan()

    /// A request with this method was written: its response comes next, in order. An `upgrade`
    /// request may be answered 101; nothing is written after it until its answer has come (no
    /// request is sent behind an upgrade).
    mutating func expectResponse(to method: HTTPMethod, upgrade: Bool = false) {
        if expected.isEmpty { upgradeExpected = upgrade }
        expected.append(method)
    }

    /// The next part in `buffer`, consuming its bytes, or nil when more bytes are needed.
    mutating func next(_ buffer: inout ByteBuffer) throws -> UpstreamResponsePart? {
        if switchedProtocols {
            guard buffer.readableBytes > 0 else { return nil }
            return .tunnel(buffer.readSlice(length: buffer.readableBytes)!)
        }
        while true {
            if !body.isDone {
                switch try body.next(&buffer) {
                case .body(let bytes): return .body(bytes)
                case .end(let trailers): return .end(trailers)
                case nil: return nil
                }
            }
            guard buffer.readableBytes > 0 else { return nil }
            guard let method = expected.first else { throw HeadParseError(reason: "bytes with no request outstanding") }
            guard let head = try readHead(&buffer, method: method) else { return nil }
            let code = head.status.code
            if code == 101 {
                // Switching protocols is what an upgrade request may be answered; to any other it
                // would leave the proxy reading bytes it cannot frame.
                guard upgradeExpected, expected.count == 1 else { throw HeadParseError(reason: "101 Switching Protocols to a request that did not ask") }
                expected.removeFirst()
                upgradeExpected = false
                switchedProtocols = true
                return .head(head)
            }
            if code >= 100 && code < 200 {
                // Interim answers (100 Continue, 103 Early Hints) are dropped.
                continue
            }
            expected.removeFirst()
            upgradeExpected = false
            body.start(head.body)
            return .head(head)
        }
    }

    /// The upstream closed its side: the end of a body delimited by the close, else nil (the
    /// response, if one was under way, is cut short).
    mutating func inputClosed() -> UpstreamResponsePart? {
        guard !switchedProtocols, case .end(let trailers) = body.inputClosed() else { return nil }
        return .end(trailers)
    }

    // MARK: - Heads

    private mutating func readHead(_ buffer: inout ByteBuffer, method: HTTPMethod) throws -> ReceivedResponseHead? {
        guard let bytes = try headScan.take(from: &buffer, limit: Self.maxHeadBytes) else { return nil }
        // One array for every head on the connection: its capacity is kept (the head handed out
        // before is gone by the time the next one is read).
        fields.removeAll(keepingCapacity: true)
        return try bytes.withUnsafeReadableBytes { raw in
            let (code, isHTTP11, reason, fieldsStart) = try Self.statusLine(raw)
            try FieldLines.parse(raw, from: fieldsStart, to: raw.count, into: &fields)
            let summary = try FieldSummary(raw, fields, isHTTP11: isHTTP11)
            var keepAlive = summary.keepAlive
            let transferEncodings = summary.transferEncodings
            let isChunked = summary.lastCodingIsChunked
            let body: ReceivedResponseHead.Body
            if method.isHEAD || code < 200 || code == 204 || code == 304 {
                body = .none
            } else if method.isCONNECT && code < 300 {
                // A tunnel the proxy does not carry: nothing more is read from this connection.
                body = .none
                keepAlive = false
            } else if transferEncodings > 0 {
                body = isChunked ? .chunked : .untilClose
            } else if let contentLength = summary.contentLength {
                body = .length(contentLength)
            } else {
                body = .untilClose
            }
            if body == .untilClose { keepAlive = false }
            return ReceivedResponseHead(
                bytes: bytes, status: HTTPResponseStatus(statusCode: code), reason: reason, fields: fields,
                keepAlive: keepAlive, body: body, hasContentLength: summary.contentLength != nil, isChunked: isChunked && transferEncodings > 0)
        }
    }

    /// `HTTP/1.x SSS reason CRLF`: the code, whether it is HTTP/1.1, the reason's range and where
    /// the fields start. The reason may be absent (with or without its space).
    private static func statusLine(_ raw: UnsafeRawBufferPointer) throws -> (Int, Bool, Range<Int>, Int) {
        guard raw.count >= 14, let isHTTP11 = HTTPVersionText.http1(in: raw, at: 0), raw[8] == 0x20
        else { throw HeadParseError(reason: "not an HTTP/1.0 or HTTP/1.1 status line") }
        var code = 0
        for index in 9..<12 {
            let digit = raw[index] &- UInt8(ascii: "0")
            guard digit < 10 else { throw HeadParseError(reason: "status code is not three digits") }
            code = code * 10 + Int(digit)
        }
        guard code >= 100 else { throw HeadParseError(reason: "status code below 100") }
        var index = 12
        var reasonStart = 12
        if raw[index] == 0x20 {
            index += 1
            reasonStart = index
        }
        while raw[index] != 0x0D {
            guard WireText.isFieldValueByte(raw[index]) else { throw HeadParseError(reason: "reason phrase has a control character") }
            index += 1
        }
        guard index == 12 || reasonStart == 13 else { throw HeadParseError(reason: "no space after the status code") }
        guard raw[index + 1] == 0x0A else { throw HeadParseError(reason: "the status line has a bare CR") }
        return (code, isHTTP11, reasonStart..<index, index + 2)
    }
}
