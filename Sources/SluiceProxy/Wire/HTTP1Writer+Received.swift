import NIOCore
import NIOHTTP1

extension HTTP1Writer {
    /// An upstream's head forwarded as it came, byte for byte, but for: the status line (HTTP/1.1,
    /// whatever version the upstream spoke), the hop-by-hop fields and those `Connection` names
    /// (left out), and the framing the downstream connection needs (`responseFraming`'s rules):
    /// no length where no body may follow, and a body the upstream delimited by closing goes
    /// chunked. `close` adds `connection: close`, `upgrade` the WebSocket handshake's own
    /// `Connection` and `Upgrade` (to a 101). Runs of kept fields are copied at once.
    static func writeResponseHead(
        _ head: ReceivedResponseHead, requestMethod: HTTPMethod, close: Bool, upgrade: Bool = false, into buffer: inout ByteBuffer
    ) -> (chunked: Bool, bodyless: Bool) {
        let bodyless = requestMethod.isHEAD || requestMethod.isCONNECT
        let noFraming = requestMethod.isCONNECT || !head.status.mayHaveResponseBody
        // With a length the body keeps it; a chunked one keeps its codings (the chunks are written
        // again); anything else is chunked by the proxy.
        let addsChunked = !noFraming && !head.hasContentLength && !head.isChunked
        let chunked = !bodyless && !noFraming && !head.hasContentLength
        head.bytes.withUnsafeReadableBytes { raw in
            // An HTTP/1.1 status line with its space before the reason is already what would be
            // written: it goes with the fields that follow it, in one copy.
            var statusLine: Range<Int>?
            if raw[7] == UInt8(ascii: "1"), head.reason.lowerBound == 13 {
                statusLine = 0..<(head.reason.upperBound + 2)
            } else {
                writeStatusLine(head, into: &buffer)
            }
            writeKeptFields(
                head.fields, from: raw, startingWith: statusLine, dropFraming: noFraming || addsChunked, dropExpect: false, into: &buffer)
        }
        if close { buffer.writeStaticString("connection: close\r\n") }
        if upgrade { buffer.writeStaticString(Self.webSocketUpgradeFields) }
        if addsChunked { buffer.writeStaticString("transfer-encoding: chunked\r\n") }
        buffer.writeStaticString("\r\n")
        return (chunked, bodyless)
    }

    /// A client's head forwarded upstream with `uri` as its target: fields as they came but for
    /// the hop-by-hop ones, those `Connection` names and a met `Expect: 100-continue`, with the
    /// framing it arrived with (`requestFraming`'s rules: a length, or chunks under the client's
    /// codings; POST, PUT and PATCH without either go chunked); `upgrade` adds the WebSocket
    /// handshake's own `Connection` and `Upgrade`. Returns how the body goes and whether one goes
    /// at all.
    static func writeRequestHead(
        _ head: ReceivedRequestHead, uri: String, upgrade: Bool = false, into buffer: inout ByteBuffer
    ) -> (chunked: Bool, carriesBody: Bool) {
        writeRequestLine(method: head.method, uri: uri, into: &buffer)
        head.bytes.withUnsafeReadableBytes { raw in
            writeKeptFields(head.fields, from: raw, startingWith: nil, dropFraming: false, dropExpect: head.expectsContinue, into: &buffer)
        }
        var chunked = head.isChunked
        if !head.hasContentLength && !head.isChunked {
            switch head.method {
            case .POST, .PUT, .PATCH:
                buffer.writeStaticString("transfer-encoding: chunked\r\n")
                chunked = true
            default:
                break
            }
        }
        if upgrade { buffer.writeStaticString(Self.webSocketUpgradeFields) }
        buffer.writeStaticString("\r\n")
        return (chunked, chunked || head.hasContentLength)
    }

    /// The end-to-end fields' lines, runs of them copied at once, after the bytes `first` (if
    /// any); `dropFraming` leaves out Content-Length and Transfer-Encoding too, `dropExpect` the
    /// `Expect` fields (an expectation the proxy met). Of repeated Content-Lengths (the parsers let
    /// through only equal ones) the first goes: a strict next hop refuses repeats.
    private static func writeKeptFields(
        _ fields: [ReceivedField], from raw: UnsafeRawBufferPointer, startingWith first: Range<Int>?, dropFraming: Bool,
        dropExpect: Bool, into buffer: inout ByteBuffer
    ) {
        var run = first
        var lengthWritten = false
        for field in fields {
            var kept = field.isEndToEnd
            if kept, dropFraming { kept = field.kind != .contentLength && field.kind != .transferEncoding }
            if kept, dropExpect { kept = field.kind != .expect }
            if kept, field.kind == .contentLength {
                kept = !lengthWritten
                lengthWritten = true
            }
            guard kept else { continue }
            if let current = run, current.upperBound == field.line.lowerBound {
                run = current.lowerBound..<field.line.upperBound
            } else {
                if let current = run { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[current])) }
                run = field.line
            }
        }
        if let current = run { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[current])) }
    }

    /// The hop-by-hop fields of a WebSocket handshake, which the proxy makes for each hop.
    static let webSocketUpgradeFields: StaticString = "connection: upgrade\r\nupgrade: websocket\r\n"

    /// A head whose fields filters changed: the upstream's status line, reason phrase and all (as
    /// the path without filters copies it), then `headers`.
    static func writeResponseHead(
        _ received: ReceivedResponseHead, headers: HTTPHeaders, framing: Framing, into buffer: inout ByteBuffer
    ) {
        writeStatusLine(received, into: &buffer)
        writeFields(headers, close: false, framing: framing, into: &buffer)
    }

    private static func writeStatusLine(_ head: ReceivedResponseHead, into buffer: inout ByteBuffer) {
        let code = Int(head.status.code)
        buffer.writeStaticString("HTTP/1.1 ")
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(code / 100))
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(code / 10 % 10))
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(code % 10))
        buffer.writeStaticString(" ")
        _ = head.bytes.withUnsafeReadableBytes { raw in
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[head.reason]))
        }
        buffer.writeStaticString("\r\n")
    }
}
