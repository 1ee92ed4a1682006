/// Whether text may go on the wire as a header name, a header value or a request target.
///
/// The proxy's pipelines run without NIO's outbound header validators (two handler hops and a
/// scan of every header, on every message, both ways). What those validators guarded is checked
/// here instead, only where text can be unsafe: what the proxy itself puts into a message (filter
/// headers, hostnames, redirect locations, the rewritten request target, the upstream's reason
/// phrase). Everything else it forwards was parsed by llhttp (requests), by
/// `UpstreamResponseParser` (responses), which refuse the same bytes, or by NIOHTTP2 with
/// header-block validation on.
enum WireText {
    /// A header name: an RFC 9110 token.
    static func isFieldName(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(isTokenByte)
    }

    /// A header value (or reason phrase): no control characters other than HTAB (RFC 9110 5.5:
    /// CR, LF and NUL are dangerous; the other controls are refused too, as NIO does).
    static func isFieldValue(_ text: some StringProtocol) -> Bool {
        text.utf8.allSatisfy(isFieldValueByte)
    }

    /// A byte a header value, reason phrase or chunk extension may hold: HTAB, or no control.
    @inline(__always)
    static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
    }

    /// A request target that keeps the request line intact: no space, no control character.
    /// Other bytes outside RFC 3986 (`|`, `{`, `"`...) are forwarded as llhttp accepted them from
    /// the client, as nginx and haproxy forward them; only a rewrite can bring in the rest.
    static func isRequestTarget(_ text: String) -> Bool {
        text.utf8.allSatisfy { byte in byte > 0x20 && byte != 0x7F }
    }

    /// A byte of an RFC 9110 token (tchar), looked up in two bitmaps of bytes 0–63 (DIGIT and
    /// `!#$%&'*+-.`) and 64–127 (ALPHA and `^_`|~`); `WireTextTests` checks them against the RFC's
    /// list. Every byte of every received field name goes through here: a `switch` over the tchar
    /// ranges was a chain of compares per byte.
    @inline(__always)
    static func isTokenByte(_ byte: UInt8) -> Bool {
        let low: UInt64 = 0x03FF_6CFA_0000_0000
        let high: UInt64 = 0x57FF_FFFF_C7FF_FFFE
        return byte < 64 ? low >> byte & 1 == 1 : byte < 128 && high >> (byte &- 64) & 1 == 1
    }
}

extension HeaderModifier {
    /// Every name and value it sets or adds can be sent. Worked out when a rule is compiled
    /// (`CompiledRule`, `WeightedBackend`); a filter that fails it answers 502.
    var isSendable: Bool {
        self.set.allSatisfy { WireText.isFieldName($0.name) && WireText.isFieldValue($0.value) }
            && self.add.allSatisfy { WireText.isFieldName($0.name) && WireText.isFieldValue($0.value) }
    }
}
