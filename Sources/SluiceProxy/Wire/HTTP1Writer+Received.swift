import NIOCore
import NIOHTTP1

extension HTTP1Writer {
    /// An upstream's head forwarded as it came, byte for byte, but for: the status line (HTTP/1.1,
    /// whatever version the upstream spoke), the hop-by-hop fields and those `Connection` names
    /// (left out), and the framing the downstream connection needs (`responseFraming`'s rules):
    /// no length where no body may follow, and a body the upstream delimited by closing goes
    /// chunked. `close` adds `connection: close`. Runs of kept fields are copied at once.
    static func writeResponseHead(
        _ head: ReceivedResponseHead, requestMethod: HTTPMethod, close: Bool, into buffer: inout ByteBuffer
    ) -> (chunked: Bool, bodyless: Bool) {
        let bodyless = requestMethod == .HEAD || requestMethod == .CONNECT
        let noFraming = requestMethod == .CONNECT || !head.status.mayHaveResponseBody
        // With a length the body keeps it; a chunked one keeps its codings (the chunks are written
        // again); anything else is chunked by the proxy.
        let addsChunked = !noFraming && !head.hasContentLength && !head.isChunked
        let chunked = !bodyless && !noFraming && !head.hasContentLength
        writeStatusLine(head, into: &buffer)
        head.bytes.withUnsafeReadableBytes { raw in
            var run: Range<Int>?
            for field in head.fields {
                var kept = field.isEndToEnd
                if kept, noFraming || addsChunked {
                    kept = field.kind != .contentLength && field.kind != .transferEncoding
                }
                if kept {
                    if let current = run, current.upperBound == field.line.lowerBound {
                        run = current.lowerBound..<field.line.upperBound
                    } else {
                        if let current = run { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[current])) }
                        run = field.line
                    }
                }
            }
            if let current = run { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[current])) }
        }
        if close { buffer.writeStaticString("connection: close\r\n") }
        if addsChunked { buffer.writeStaticString("transfer-encoding: chunked\r\n") }
        buffer.writeStaticString("\r\n")
        return (chunked, bodyless)
    }

    private static func writeStatusLine(_ head: ReceivedResponseHead, into buffer: inout ByteBuffer) {
        let code = Int(head.status.code)
        buffer.writeStaticString("HTTP/1.1 ")
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(code / 100))
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(code / 10 % 10))
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(code % 10))
        buffer.writeStaticString(" ")
        head.bytes.withUnsafeReadableBytes { raw in
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[head.reason]))
        }
        buffer.writeStaticString("\r\n")
    }
}
