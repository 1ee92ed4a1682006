#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1

/// One header field of a received head, located in the head's bytes rather than copied into
/// strings: a head forwarded without changes is copied byte for byte, and a field is read as text
/// only when something asks for it.
struct ReceivedField {
    /// The whole line, CRLF included.
    var line: Range<Int>
    var name: Range<Int>
    /// Without the optional whitespace around it.
    var value: Range<Int>
    var kind: Kind
    /// Named by `Connection` (not one of the fixed hop-by-hop names): not forwarded either.
    var listedInConnection = false

    enum Kind: Equatable {
        case other
        /// `RequestRewriting.hopByHop[index]`; 0 is `connection`.
        case hopByHop(Int)
        case contentLength
        case transferEncoding
        /// `Expect`: a request with `100-continue` is answered by the proxy (`FieldSummary`).
        case expect
    }

    /// Forwarded to the next hop.
    var isEndToEnd: Bool {
        if case .hopByHop = kind { return false }
        return !listedInConnection
    }
}

/// Finds where a head ends as its bytes arrive, looking at each byte once: a head trickled in one
/// byte at a time is not scanned again from its start on every read.
struct HeadScan {
    /// How far the bytes were looked at, and where the line being read starts.
    private var scanned = 0
    private var lineStart = 0

    /// Where the head at the start of `bytes` ends (just past its empty line), or nil when it is
    /// not all there yet. `bytes` must start where it started on the previous call.
    mutating func end(of bytes: UnsafeRawBufferPointer) throws -> Int? {
        var index = scanned
        while index < bytes.count, let base = bytes.baseAddress {
            // memchr is what finds the line ends fast.
            guard let found = memchr(base + index, 0x0A, bytes.count - index) else { break }
            let newline = base.distance(to: UnsafeRawPointer(found))
            guard newline > 0, bytes[newline - 1] == 0x0D else { throw HeadParseError(reason: "a line ends without CR") }
            if newline - 1 == lineStart {
                self = HeadScan()
                return newline + 1
            }
            lineStart = newline + 1
            index = newline + 1
        }
        scanned = bytes.count
        return nil
    }
}

extension HeadScan {
    /// The head at the start of `buffer`, taken out of it, or nil when it is not all there yet.
    /// A head longer than `limit` bytes is refused, before its end has come if need be.
    mutating func take(from buffer: inout ByteBuffer, limit: Int) throws -> ByteBuffer? {
        let found = try buffer.withUnsafeReadableBytes { try end(of: $0) }
        guard let end = found else {
            if buffer.readableBytes > limit { throw HeadParseError(reason: "head longer than \(limit) bytes") }
            return nil
        }
        guard end <= limit else { throw HeadParseError(reason: "head longer than \(limit) bytes") }
        return buffer.readSlice(length: end)!
    }
}

/// The HTTP version both start lines carry.
enum HTTPVersionText {
    /// Whether `raw` holds `HTTP/1.0` or `HTTP/1.1` at `offset`; nil when it does not, else whether
    /// it is 1.1. (Byte by byte: `starts(with:)` or a `zip` with a string's UTF-8 view went through
    /// their iterators for every byte, on every request and response.)
    static func http1(in raw: UnsafeRawBufferPointer, at offset: Int) -> Bool? {
        guard offset >= 0, offset + 8 <= raw.count, raw[offset] == UInt8(ascii: "H"), raw[offset + 1] == UInt8(ascii: "T"),
            raw[offset + 2] == UInt8(ascii: "T"), raw[offset + 3] == UInt8(ascii: "P"), raw[offset + 4] == UInt8(ascii: "/"),
            raw[offset + 5] == UInt8(ascii: "1"), raw[offset + 6] == UInt8(ascii: ".")
        else { return nil }
        switch raw[offset + 7] {
        case UInt8(ascii: "1"): return true
        case UInt8(ascii: "0"): return false
        default: return nil
        }
    }
}

/// What a head's fields say about its connection and its body (RFC 9112 6.3, 9.3).
struct FieldSummary {
    /// The connection may be kept after this message (HTTP/1.1 unless `close`; HTTP/1.0 only with
    /// `keep-alive`).
    var keepAlive: Bool
    var contentLength: Int?
    var transferEncodings = 0
    /// The last coding of the last Transfer-Encoding field is chunked.
    var lastCodingIsChunked = false
    /// The first Host field's value, and how many Host fields there are.
    var host: Range<Int>?
    var hostFields = 0
    /// Names and values, each field counted with 4 more (the 431 limit counts so).
    var fieldBytes = 0
    /// `Expect: 100-continue`: the client waits for a 100 before sending its body.
    var expectsContinue = false
    /// `Connection` lists `upgrade` and `Upgrade` offers `websocket` (RFC 6455 4.1).
    var upgradesToWebSocket: Bool { connectionListsUpgrade && upgradeOffersWebSocket }
    private var connectionListsUpgrade = false
    private var upgradeOffersWebSocket = false

    /// Refuses what two hops could read differently: Content-Lengths that differ or are not
    /// digits, and a Content-Length with a Transfer-Encoding.
    init(_ raw: UnsafeRawBufferPointer, _ fields: [ReceivedField], isHTTP11: Bool) throws {
        keepAlive = isHTTP11
        for field in fields {
            fieldBytes += field.name.count + field.value.count + 4
            switch field.kind {
            case .hopByHop(0):
                var keepAlive = self.keepAlive
                var listsUpgrade = connectionListsUpgrade
                FieldLines.forEachToken(raw, field.value) { token in
                    if FieldLines.equalsLowercased(token, "close") { keepAlive = false }
                    if !isHTTP11, FieldLines.equalsLowercased(token, "keep-alive") { keepAlive = true }
                    if FieldLines.equalsLowercased(token, "upgrade") { listsUpgrade = true }
                }
                self.keepAlive = keepAlive
                connectionListsUpgrade = listsUpgrade
            case .hopByHop(RequestRewriting.upgradeIndex):
                var offersWebSocket = upgradeOffersWebSocket
                FieldLines.forEachToken(raw, field.value) { token in
                    if FieldLines.equalsLowercased(token, "websocket") { offersWebSocket = true }
                }
                upgradeOffersWebSocket = offersWebSocket
            case .contentLength:
                let length = try FieldLines.contentLength(raw, field.value)
                if let contentLength, contentLength != length { throw HeadParseError(reason: "Content-Length values differ") }
                contentLength = length
            case .transferEncoding:
                transferEncodings += 1
                var last: UnsafeRawBufferPointer?
                FieldLines.forEachToken(raw, field.value) { last = $0 }
                lastCodingIsChunked = last.map { FieldLines.equalsLowercased($0, "chunked") } ?? false
            case .other:
                if field.name.count == 4, FieldLines.equalsLowercased(UnsafeRawBufferPointer(rebasing: raw[field.name]), "host") {
                    hostFields += 1
                    if host == nil { host = field.value }
                }
            case .expect:
                if FieldLines.equalsLowercased(UnsafeRawBufferPointer(rebasing: raw[field.value]), "100-continue") { expectsContinue = true }
            case .hopByHop:
                break
            }
        }
        if contentLength != nil && transferEncodings > 0 {
            throw HeadParseError(reason: "Content-Length and Transfer-Encoding together")
        }
        // An HTTP/1.0 message with a Transfer-Encoding has faulty framing: the connection is closed
        // after it (RFC 9112 6.1).
        if !isHTTP11 && transferEncodings > 0 { keepAlive = false }
    }
}

/// Why a received head was refused.
struct HeadParseError: Error, Equatable {
    var reason: String
}

/// Parsing of the field lines of an HTTP/1.1 head (RFC 9112 5), as strict as llhttp without its
/// lenient flags: a name is a token directly followed by `:`, a value has no control character
/// other than HTAB, every line ends with CRLF, and a line folded onto the previous one (obs-fold)
/// is refused. Strictness is what keeps the proxy and the next hop reading the same message.
enum FieldLines {
    /// Where the head in `bytes` ends (just past its empty line), or nil when it is not all there.
    /// A bare LF anywhere is an error at once, rather than a wait for a CRLF CRLF that never comes.
    static func headEnd(_ bytes: UnsafeRawBufferPointer) throws -> Int? {
        var scan = HeadScan()
        return try scan.end(of: bytes)
    }

    /// Parses the field lines from `start` up to the empty line that ends the head at `end`,
    /// appending them to `fields`. Marks the fields `Connection` names (other than the framing
    /// fields, which belong to the proxy).
    static func parse(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int, into fields: inout [ReceivedField]) throws {
        var lineStart = start
        var listsOthers = false
        while lineStart < end - 2 {
            var index = lineStart
            // Name: a token, then the colon right after it.
            while index < end, WireText.isTokenByte(bytes[index]) { index += 1 }
            guard index > lineStart, bytes[index] == UInt8(ascii: ":") else {
                if bytes[lineStart] == 0x20 || bytes[lineStart] == 0x09 {
                    throw HeadParseError(reason: "a header line is folded (obs-fold)")
                }
                throw HeadParseError(reason: "a header name is not a token followed by ':'")
            }
            let name = lineStart..<index
            index += 1
            while bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
            let valueStart = index
            // The line's CR (the head ends in CRLF CRLF, so there is one before `end`); what is
            // before it must be a value, and a CR must be followed by LF.
            guard let base = bytes.baseAddress, let found = memchr(base + index, 0x0D, end - index) else {
                throw HeadParseError(reason: "a header line has no CRLF")
            }
            index = base.distance(to: UnsafeRawPointer(found))
            guard isFieldValue(UnsafeRawBufferPointer(rebasing: bytes[valueStart..<index])) else {
                throw HeadParseError(reason: "a header value has a control character")
            }
            guard bytes[index + 1] == 0x0A else { throw HeadParseError(reason: "a header line has a bare CR") }
            var valueEnd = index
            while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 { valueEnd -= 1 }
            let kind = classify(bytes, name)
            if kind == .hopByHop(0) { listsOthers = listsOthers || listsNonHopByHop(bytes, valueStart..<valueEnd) }
            fields.append(ReceivedField(line: lineStart..<index + 2, name: name, value: valueStart..<valueEnd, kind: kind))
            lineStart = index + 2
        }
        if listsOthers { markListed(bytes, &fields) }
    }

    /// No control byte but HTAB (RFC 9110 5.5; obs-text is kept, as llhttp keeps it). Eight bytes
    /// at a time: a word with no byte below 0x20 and none equal to 0x7F is passed whole, one with
    /// such a byte is looked at byte by byte (HTAB is the only one allowed).
    static func isFieldValue(_ value: UnsafeRawBufferPointer) -> Bool {
        guard let base = value.baseAddress else { return true }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = 0
        while index + 8 <= value.count {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            // Bit 7 of a byte set where that byte is below 0x20, or is 0x7F (exact for a whole
            // word's "any": the borrow trick of Hacker's Delight / Bit Twiddling Hacks).
            let below20 = (word &- ones &* 0x20) & ~word & highs
            let delete = word ^ (ones &* 0x7F)
            let equals7F = (delete &- ones) & ~delete & highs
            if below20 | equals7F != 0, !bytesAreFieldValue(base + index, 8) { return false }
            index += 8
        }
        return bytesAreFieldValue(base + index, value.count - index)
    }

    private static func bytesAreFieldValue(_ start: UnsafeRawPointer, _ count: Int) -> Bool {
        for offset in 0..<count {
            guard WireText.isFieldValueByte(start.load(fromByteOffset: offset, as: UInt8.self)) else { return false }
        }
        return true
    }

    /// `RequestRewriting.hopByHop`, in its order, for byte comparisons.
    static let hopByHopNames: [StaticString] = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"]

    static func classify(_ bytes: UnsafeRawBufferPointer, _ name: Range<Int>) -> ReceivedField.Kind {
        let text = UnsafeRawBufferPointer(rebasing: bytes[name])
        // Lengths first: most names are ruled out without looking at their bytes.
        switch name.count {
        case 14: return equalsLowercased(text, "content-length") ? .contentLength : .other
        case 17: return equalsLowercased(text, "transfer-encoding") ? .transferEncoding : .other
        case 10: return equalsLowercased(text, "connection") ? .hopByHop(0) : equalsLowercased(text, "keep-alive") ? .hopByHop(1) : .other
        case 16: return equalsLowercased(text, "proxy-connection") ? .hopByHop(2) : .other
        case 6: return equalsLowercased(text, "expect") ? .expect : .other
        case 2: return equalsLowercased(text, "te") ? .hopByHop(3) : .other
        case 7: return equalsLowercased(text, "trailer") ? .hopByHop(4) : equalsLowercased(text, "upgrade") ? .hopByHop(5) : .other
        default: return .other
        }
    }

    /// ASCII case-insensitive equality with a lowercase name.
    static func equalsLowercased(_ text: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        guard text.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for index in 0..<text.count {
            let byte = text[index]
            if (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) != expected[index] { return false }
        }
        return true
    }

    /// The comma-separated tokens of a list value (RFC 9110 5.6.1), without their whitespace.
    static func forEachToken(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = value.lowerBound
        while start < value.upperBound {
            var comma = start
            while comma < value.upperBound, bytes[comma] != UInt8(ascii: ",") { comma += 1 }
            var first = start
            var last = comma
            while first < last, bytes[first] == 0x20 || bytes[first] == 0x09 { first += 1 }
            while last > first, bytes[last - 1] == 0x20 || bytes[last - 1] == 0x09 { last -= 1 }
            if last > first { body(UnsafeRawBufferPointer(rebasing: bytes[first..<last])) }
            start = comma + 1
        }
    }

    /// A `Connection` value names something other than `close`, `keep-alive` and the hop-by-hop names.
    private static func listsNonHopByHop(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>) -> Bool {
        var found = false
        forEachToken(bytes, value) { token in
            if !equalsLowercased(token, "close"), !isHopByHopOrFraming(token) { found = true }
        }
        return found
    }

    private static func isHopByHopOrFraming(_ token: UnsafeRawBufferPointer) -> Bool {
        hopByHopNames.contains { equalsLowercased(token, $0) }
            || equalsLowercased(token, "content-length") || equalsLowercased(token, "transfer-encoding")
    }

    /// Marks the fields whose names a `Connection` field lists (rare: one pass per name).
    private static func markListed(_ bytes: UnsafeRawBufferPointer, _ fields: inout [ReceivedField]) {
        var listed: [UnsafeRawBufferPointer] = []
        for field in fields where field.kind == .hopByHop(0) {
            forEachToken(bytes, field.value) { token in
                if !equalsLowercased(token, "close"), !isHopByHopOrFraming(token) { listed.append(token) }
            }
        }
        for index in fields.indices where fields[index].kind == .other {
            let name = UnsafeRawBufferPointer(rebasing: bytes[fields[index].name])
            if listed.contains(where: { token in
                token.count == name.count && zip(token, name).allSatisfy { ($0 | 0x20) == ($1 | 0x20) }
            }) {
                fields[index].listedInConnection = true
            }
        }
    }

    /// A Content-Length value: digits only (a list, even of equal values, is refused).
    static func contentLength(_ raw: UnsafeRawBufferPointer, _ value: Range<Int>) throws -> Int {
        guard !value.isEmpty, value.count <= 18 else { throw HeadParseError(reason: "Content-Length is not a length") }
        var length = 0
        for index in value {
            let digit = raw[index] &- UInt8(ascii: "0")
            guard digit < 10 else { throw HeadParseError(reason: "Content-Length is not a length") }
            length = length * 10 + Int(digit)
        }
        return length
    }

    /// The fields as `HTTPHeaders`, for the paths that change headers (filters, HTTP/2).
    static func headers(_ bytes: UnsafeRawBufferPointer, _ fields: [ReceivedField]) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.reserveCapacity(fields.count)
        for field in fields {
            headers.add(name: text(bytes, field.name), value: text(bytes, field.value))
        }
        return headers
    }

    static func text(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
