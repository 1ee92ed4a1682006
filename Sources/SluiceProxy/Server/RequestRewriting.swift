import NIOHTTP1

/// Path, host and header changes the filters make.
enum RequestRewriting {
    /// Headers that describe one hop and must not be forwarded (RFC 9110 7.6.1).
    static let hopByHop = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"]
    /// Where `upgrade` is in `hopByHop`.
    static let upgradeIndex = 5

    /// The hop-by-hop fields of a WebSocket handshake, made by the proxy for each hop (as text;
    /// `HTTP1Writer.webSocketUpgradeFields` are the same as bytes).
    static func addWebSocketUpgrade(_ headers: inout HTTPHeaders) {
        headers.replaceOrAdd(name: "connection", value: "upgrade")
        headers.replaceOrAdd(name: "upgrade", value: "websocket")
    }

    /// Removes the hop-by-hop headers and those the `Connection` header names. Most messages have
    /// none, or only `Connection`: one pass over the names finds out, and headers with none keep
    /// sharing their storage with the message they came from (no copy, no array built).
    static func removeHopByHop(_ headers: inout HTTPHeaders, keepTransferEncoding: Bool = true) {
        let present = hopByHopFields(&headers)
        for (index, name) in hopByHop.enumerated() where present & (1 << index) != 0 { headers.remove(name: name) }
        if !keepTransferEncoding { headers.remove(name: "transfer-encoding") }
    }

    /// Which hop-by-hop fields `headers` has, as a set of `hopByHop` indices (one pass over the
    /// names), so only those present are removed. The names `Connection` lists that are not
    /// hop-by-hop already (rare) are removed here.
    static func hopByHopFields(_ headers: inout HTTPHeaders) -> UInt8 {
        var present: UInt8 = 0
        for header in headers {
            if let index = hopByHopIndex(header.name) { present |= 1 << index }
        }
        // Bit 0 is `connection` (the first of `hopByHop`): the names it lists go too.
        if present & 1 != 0 {
            // `close` is listed on most closing messages and names no header: no copy for it.
            for name in namesListedInConnection(headers) where headers.contains(name: name) { headers.remove(name: name) }
        }
        return present
    }

    /// The names `Connection` lists that are not hop-by-hop already (usually none: `keep-alive`,
    /// `close`), read byte by byte in place rather than through an array of every token.
    private static func namesListedInConnection(_ headers: HTTPHeaders) -> [String] {
        var names: [String] = []
        for header in headers where hopByHopIndex(header.name) == 0 {
            let bytes = header.value.utf8
            var start = bytes.startIndex
            while start < bytes.endIndex {
                let comma = bytes[start...].firstIndex(of: UInt8(ascii: ",")) ?? bytes.endIndex
                var first = start
                var end = comma
                while first < end, bytes[first] == UInt8(ascii: " ") || bytes[first] == UInt8(ascii: "\t") {
                    first = bytes.index(after: first)
                }
                while end > first, bytes[bytes.index(before: end)] == UInt8(ascii: " ") || bytes[bytes.index(before: end)] == UInt8(ascii: "\t") {
                    end = bytes.index(before: end)
                }
                let token = Substring(bytes[first..<end])
                // Framing belongs to the proxy: a message cannot have its length dropped this way.
                if !token.isEmpty, hopByHopIndex(token) == nil, !isFramingField(token) { names.append(String(token)) }
                start = comma == bytes.endIndex ? comma : bytes.index(after: comma)
            }
        }
        return names
    }

    /// Content-Length or Transfer-Encoding (case-insensitive): the fields that delimit a body, which
    /// neither `Connection` nor a header filter may remove or change.
    static func isFramingField(_ name: some StringProtocol) -> Bool {
        switch name.utf8.count {
        case 14: equalsLowercased(name, "content-length")
        case 17: equalsLowercased(name, "transfer-encoding")
        default: false
        }
    }

    /// The position of `name` in `hopByHop` (case-insensitive), or nil. Lengths first: most names
    /// are ruled out without looking at their bytes.
    static func hopByHopIndex(_ name: some StringProtocol) -> Int? {
        let candidates: ClosedRange<Int>
        switch name.utf8.count {
        case 10: candidates = 0...1
        case 16: candidates = 2...2
        case 2: candidates = 3...3
        case 7: candidates = 4...5
        default: return nil
        }
        for index in candidates where equalsLowercased(name, hopByHop[index]) { return index }
        return nil
    }

    /// ASCII case-insensitive equality with an already-lowercase name.
    private static func equalsLowercased(_ name: some StringProtocol, _ lowercase: String) -> Bool {
        name.utf8.elementsEqual(lowercase.utf8) { byte, expected in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) == expected
        }
    }

    /// HTTP/2 clients may split `Cookie` into one field per cookie; an HTTP/1.1 upstream gets them as
    /// one field joined with "; " (RFC 9113 8.2.3).
    static func joinCookies(_ headers: inout HTTPHeaders) {
        let cookies = headers["cookie"]
        guard cookies.count > 1 else { return }
        headers.replaceOrAdd(name: "cookie", value: cookies.joined(separator: "; "))
    }

    /// The request target after a URLRewrite path filter (the query string is kept).
    static func rewrittenURI(_ uri: String, rewrite: Rewrite?, matchedPrefix: String?) -> String {
        guard let modifier = rewrite?.path else { return uri }
        return rewrittenURI(uri, modifier, matchedPrefix: matchedPrefix)
    }

    /// `uri` with its path changed by `modifier` and its query kept. The target is cut before its
    /// `?`, and paths and prefixes are compared and cut, as bytes, not as characters: a path is
    /// bytes, and a `/` followed by a combining mark is one character but still a separator.
    static func rewrittenURI(_ uri: String, _ modifier: PathModifier, matchedPrefix: String?) -> String {
        var uri = uri
        return uri.withUTF8 { target in
            let queryStart = target.firstIndex(of: UInt8(ascii: "?")) ?? target.count
            return rewritten(
                path: UnsafeBufferPointer(rebasing: target[..<queryStart]), modifier, matchedPrefix: matchedPrefix,
                query: UnsafeBufferPointer(rebasing: target[queryStart...]))
        }
    }

    /// `path` changed by `modifier`, then `query`, built as bytes into one new string: ReplaceFullPath,
    /// or ReplacePrefixMatch on segment boundaries (`/api/x` with `/api` → `/` gives `/x`).
    private static func rewritten(
        path: UnsafeBufferPointer<UInt8>, _ modifier: PathModifier, matchedPrefix: String?, query: UnsafeBufferPointer<UInt8>
    ) -> String {
        let slash = UInt8(ascii: "/")
        switch modifier {
        case .replaceFullPath(let replacement):
            guard !query.isEmpty else { return replacement }
            return replacement + String(decoding: query, as: UTF8.self)
        case .replacePrefixMatch(var replacement):
            var prefix = matchedPrefix ?? ""
            return replacement.withUTF8 { replacement in
                prefix.withUTF8 { prefix in
                    var rest = path[...]
                    if rest.starts(with: prefix) { rest = rest.dropFirst(prefix.count) }
                    if replacement.last == slash, rest.first == slash { rest = rest.dropFirst() }
                    let separator = replacement.last != slash && !rest.isEmpty && rest.first != slash
                    // The path starts with a slash, added if the replacement and rest do not
                    // bring one (an empty result is `/`).
                    let leading = (replacement.first ?? (separator ? slash : rest.first)) != slash
                    let count = (leading ? 1 : 0) + replacement.count + (separator ? 1 : 0) + rest.count + query.count
                    return String(unsafeUninitializedCapacity: count) { out in
                        var offset = 0
                        func put(_ bytes: UnsafeBufferPointer<UInt8>.SubSequence) {
                            for byte in bytes {
                                out[offset] = byte
                                offset += 1
                            }
                        }
                        if leading {
                            out[offset] = slash
                            offset += 1
                        }
                        put(replacement[...])
                        if separator {
                            out[offset] = slash
                            offset += 1
                        }
                        put(rest)
                        put(query[...])
                        return offset
                    }
                }
            }
        }
    }

    /// The `Location` of a RequestRedirect. Without a port, the scheme's well-known port (when the
    /// scheme is changed) or the listener's port is used; 80 for http and 443 for https are left out.
    static func location(for redirect: Redirect, uri: String, host: String, matchedPrefix: String?, listenerPort: Int, isTLS: Bool) -> String {
        let scheme = redirect.scheme ?? (isTLS ? "https" : "http")
        let hostname = redirect.hostname ?? RouteTable.normalize(host: host)
        let port: Int
        if let explicit = redirect.port {
            port = explicit
        } else if let changed = redirect.scheme {
            port = changed == "https" ? 443 : changed == "http" ? 80 : listenerPort
        } else {
            port = listenerPort
        }
        let target = redirect.path.map { rewrittenURI(uri, $0, matchedPrefix: matchedPrefix) } ?? uri
        let omitPort = (scheme == "http" && port == 80) || (scheme == "https" && port == 443)
        return "\(scheme)://\(hostname)\(omitPort ? "" : ":\(port)")\(target)"
    }
}

extension HeaderModifier {
    /// Set replaces every value of a name, add appends one more, remove drops every value.
    func apply(to headers: inout HTTPHeaders) {
        for header in set { headers.replaceOrAdd(name: header.name, value: header.value) }
        for header in add { headers.add(name: header.name, value: header.value) }
        for name in remove { headers.remove(name: name) }
    }
}
