import NIOCore
import NIOHTTP1

/// Writes HTTP/1.1 messages as bytes, with the framing NIO's `HTTPRequestEncoder` and
/// `HTTPResponseEncoder` give them (see `HTTP1Writer+Framing.swift`).
///
/// The proxy's HTTP/1.1 pipelines have no encoder handler: a forwarded head is written straight
/// from the fields its parser located into one buffer, leaving out the hop-by-hop fields instead
/// of removing them from a copy, and a small message's head, body and end go out as that one buffer.
/// The encoders were a handler hop per part, a buffer per part, and a copy of the headers whenever
/// their framing check removed a field. HTTP/2 streams still go through NIO's codec with parts.
enum HTTP1Writer {
    /// Bodies up to this size are copied behind their head into one buffer; larger ones are written
    /// as the slices they arrived in.
    static let copiedBodyLimit = 4096

    /// The request line and header fields.
    static func writeRequestHead(method: HTTPMethod, uri: String, headers: HTTPHeaders, framing: Framing, into buffer: inout ByteBuffer) {
        writeRequestLine(method: method, uri: uri, into: &buffer)
        writeFields(headers, close: false, framing: framing, into: &buffer)
    }

    /// `METHOD SP uri SP HTTP/1.1 CRLF`. (Written in one closure over the buffer's bytes it
    /// cost more: the closures' captures were checked for exclusive access on every request.)
    static func writeRequestLine(method: HTTPMethod, uri: String, into buffer: inout ByteBuffer) {
        buffer.reserveCapacity(minimumWritableBytes: uri.utf8.count + 24)
        if method.isGET {
            buffer.writeStaticString("GET ")
        } else {
            buffer.writeString(method.rawValue)
            buffer.writeStaticString(" ")
        }
        // `writeString` took its generic path for a small (inline) string, element by element:
        // `withUTF8` hands over the bytes of any string as one buffer.
        var uri = uri
        uri.withUTF8 { _ = buffer.writeBytes($0) }
        buffer.writeStaticString(" HTTP/1.1\r\n")
    }

    /// The status line and header fields; `close` adds `connection: close`.
    static func writeResponseHead(
        status: HTTPResponseStatus, headers: HTTPHeaders, close: Bool, framing: Framing,
        into buffer: inout ByteBuffer
    ) {
        if case .ok = status {
            buffer.writeStaticString("HTTP/1.1 200 OK\r\n")
        } else {
            // The proxy's own answers: known codes get NIO's phrase, others none.
            buffer.writeStaticString("HTTP/1.1 ")
            buffer.writeString(String(status.code))
            buffer.writeStaticString(" ")
            buffer.writeString(status.reasonPhrase)
            buffer.writeStaticString("\r\n")
        }
        writeFields(headers, close: close, framing: framing, into: &buffer)
    }

    /// Fields in their order, then the ones the proxy adds where the encoders' `replaceOrAdd` put
    /// them (at the end), then the empty line.
    static func writeFields(_ headers: HTTPHeaders, close: Bool, framing: Framing, into buffer: inout ByteBuffer) {
        for field in headers {
            if framing.replacesTransferEncoding, isTransferEncoding(field.name) { continue }
            buffer.writeString(field.name)
            buffer.writeStaticString(": ")
            buffer.writeString(field.value)
            buffer.writeStaticString("\r\n")
        }
        if close { buffer.writeStaticString("connection: close\r\n") }
        if framing.replacesTransferEncoding { buffer.writeStaticString("transfer-encoding: chunked\r\n") }
        buffer.writeStaticString("\r\n")
    }

    /// A body part as it goes on the wire: chunk-framed when the message is chunked. Small parts are
    /// copied into `buffer`; a larger one is handed to `writeSlice` after what `buffer` holds so far.
    static func writeBody(_ body: ByteBuffer, chunked: Bool, into buffer: inout ByteBuffer, writeSlice: (inout ByteBuffer, ByteBuffer) -> Void) {
        // An empty chunk would end the message: NIO's encoders skip it as well.
        guard body.readableBytes > 0 else { return }
        if chunked {
            buffer.writeString(String(body.readableBytes, radix: 16))
            buffer.writeStaticString("\r\n")
        }
        if body.readableBytes <= copiedBodyLimit {
            var part = body
            buffer.writeBuffer(&part)
        } else {
            writeSlice(&buffer, body)
        }
        if chunked { buffer.writeStaticString("\r\n") }
    }

    /// The end of a message: the last chunk and trailers when chunked, nothing otherwise (trailers
    /// of a message that is not chunked have nowhere to go, as with NIO's encoders).
    static func writeEnd(chunked: Bool, trailers: HTTPHeaders?, into buffer: inout ByteBuffer) {
        guard chunked else { return }
        buffer.writeStaticString("0\r\n")
        if let trailers {
            for field in trailers {
                buffer.writeString(field.name)
                buffer.writeStaticString(": ")
                buffer.writeString(field.value)
                buffer.writeStaticString("\r\n")
            }
        }
        buffer.writeStaticString("\r\n")
    }

    static func isTransferEncoding(_ name: String) -> Bool {
        name.utf8.count == 17 && name.utf8.elementsEqual("transfer-encoding".utf8) { byte, expected in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) == expected
        }
    }
}
