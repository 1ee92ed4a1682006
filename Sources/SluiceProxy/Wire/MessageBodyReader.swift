import NIOCore
import NIOHTTP1

/// Reads one message body off an HTTP/1.1 connection by its framing (RFC 9112 6): a length,
/// chunks (7.1; the data is handed on without the chunk framing, trailers at the end), or every
/// byte until the connection closes. Strict, as the heads are: a chunk-size line that is not hex
/// digits, extensions and CRLF, or chunk data not followed by CRLF, is refused, so the proxy and
/// the next hop cannot disagree on where the body ends.
struct MessageBodyReader {
    /// A chunk-size line (with extensions) longer than this is refused.
    static let maxChunkLineBytes = 4096
    /// A trailer section longer than this is refused.
    static let maxTrailerBytes = 80 * 1024

    enum Framing: Equatable {
        case none
        case length(Int)
        case chunked
        case untilClose
    }

    enum Part {
        case body(ByteBuffer)
        case end(HTTPHeaders?)
    }

    private enum State {
        case done
        case length(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case ending
    }

    private var state = State.done

    /// No body is being read: the next bytes are a head.
    var isDone: Bool {
        if case .done = state { return true }
        return false
    }

    /// A body with this framing follows (`.none`: only its end is reported).
    mutating func start(_ framing: Framing) {
        switch framing {
        case .none: state = .ending
        case .length(let length): state = length > 0 ? .length(remaining: length) : .ending
        case .chunked: state = .chunkSize
        case .untilClose: state = .untilClose
        }
    }

    /// The next part in `buffer`, consuming its bytes; nil when more bytes are needed or no body
    /// is being read (`isDone`).
    mutating func next(_ buffer: inout ByteBuffer) throws -> Part? {
        while true {
            switch state {
            case .done:
                return nil
            case .length(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let count = min(remaining, buffer.readableBytes)
                let slice = buffer.readSlice(length: count)!
                state = count == remaining ? .ending : .length(remaining: remaining - count)
                return .body(slice)
            case .chunkSize:
                guard let size = try Self.readChunkSize(&buffer) else { return nil }
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let count = min(remaining, buffer.readableBytes)
                let slice = buffer.readSlice(length: count)!
                state = count == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - count)
                return .body(slice)
            case .chunkDataEnd:
                guard buffer.readableBytes >= 2 else { return nil }
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw HeadParseError(reason: "chunk data not followed by CRLF") }
                state = .chunkSize
            case .trailers:
                guard let trailers = try Self.readTrailers(&buffer) else { return nil }
                state = .done
                return .end(trailers.isEmpty ? nil : trailers)
            case .untilClose:
                guard buffer.readableBytes > 0 else { return nil }
                return .body(buffer.readSlice(length: buffer.readableBytes)!)
            case .ending:
                state = .done
                return .end(nil)
            }
        }
    }

    /// The connection closed: the end of a body delimited by the close, else nil.
    mutating func inputClosed() -> Part? {
        guard case .untilClose = state else { return nil }
        state = .done
        return .end(nil)
    }

    /// `HEX [; extensions] CRLF`: the size, or nil when the line is not all there.
    private static func readChunkSize(_ buffer: inout ByteBuffer) throws -> Int? {
        let parsed: (size: Int, length: Int)? = try buffer.withUnsafeReadableBytes { raw in
            var index = 0
            var size = 0
            while index < raw.count, let digit = hexValue(raw[index]) {
                guard index < 15 else { throw HeadParseError(reason: "chunk size too large") }
                size = size << 4 | digit
                index += 1
            }
            guard index < raw.count else { return try needMore(raw.count) }
            guard index > 0 else { throw HeadParseError(reason: "chunk size is not hexadecimal") }
            while index < raw.count, raw[index] == 0x20 || raw[index] == 0x09 { index += 1 }
            if index < raw.count, raw[index] == UInt8(ascii: ";") {
                while index < raw.count, raw[index] != 0x0D {
                    guard WireText.isFieldValueByte(raw[index]) else {
                        throw HeadParseError(reason: "chunk extension has a control character")
                    }
                    index += 1
                }
            }
            guard index + 1 < raw.count else { return try needMore(raw.count) }
            guard raw[index] == 0x0D, raw[index + 1] == 0x0A else { throw HeadParseError(reason: "chunk size line does not end with CRLF") }
            return (size, index + 2)
        }
        guard let parsed else { return nil }
        buffer.moveReaderIndex(forwardBy: parsed.length)
        return parsed.size
    }

    private static func needMore(_ available: Int) throws -> (Int, Int)? {
        if available > maxChunkLineBytes { throw HeadParseError(reason: "chunk size line too long") }
        return nil
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// The trailer section after the last chunk (usually just CRLF), or nil when not all there.
    private static func readTrailers(_ buffer: inout ByteBuffer) throws -> HTTPHeaders? {
        guard buffer.readableBytes >= 2 else { return nil }
        if buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A {
            buffer.moveReaderIndex(forwardBy: 2)
            return HTTPHeaders()
        }
        let found = try buffer.withUnsafeReadableBytes { try FieldLines.headEnd($0) }
        guard let end = found else {
            if buffer.readableBytes > maxTrailerBytes { throw HeadParseError(reason: "trailers too long") }
            return nil
        }
        let bytes = buffer.readSlice(length: end)!
        return try bytes.withUnsafeReadableBytes { raw in
            var trailers: [ReceivedField] = []
            try FieldLines.parse(raw, from: 0, to: end, into: &trailers)
            return FieldLines.headers(raw, trailers)
        }
    }
}
