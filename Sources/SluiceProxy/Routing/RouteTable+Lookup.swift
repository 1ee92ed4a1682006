#if canImport(Glibc)
import Glibc
#endif
import NIOHTTP1

/// A request's header fields, as the matcher reads them.
public protocol HeaderFieldLookup {
    /// The values of the fields named `name` (case-insensitive) as one value joined by commas, as
    /// several fields of one name count (RFC 9110 5.3); nil when there is none.
    func combinedValue(named name: String) -> Substring?
}

extension HTTPHeaders: HeaderFieldLookup {
    public func combinedValue(named name: String) -> Substring? {
        let values = self[name]
        guard !values.isEmpty else { return nil }
        return values.count == 1 ? Substring(values[0]) : Substring(values.joined(separator: ","))
    }
}

/// What the table says about one request.
public enum RouteDecision: Sendable {
    /// No listener on this socket serves this host, or no rule matches: 404.
    case notFound
    /// A rule matched; `prefix` is the matched PathPrefix (for ReplacePrefixMatch), if any.
    case matched(rule: CompiledRule, prefix: String?, listenerPort: Int, isTLS: Bool)
}

extension RouteTable {
    /// Finds the rule for a request on `port` (the Gateway's listener port, before any offset) of
    /// the shared address. `host` is the Host header (any `:port` is ignored, case does not matter).
    public func decide(port: Int, host: String, method: String, uri: String, headers: some HeaderFieldLookup) -> RouteDecision {
        decide(socket: ListenerSocket(port: port), host: host, method: method, uri: uri, headers: headers)
    }

    /// Finds the rule for a request that arrived on `socket`.
    public func decide(socket: ListenerSocket, host: String, method: String, uri: String, headers: some HeaderFieldLookup) -> RouteDecision {
        decide(in: candidates(socket: socket, hostname: Self.normalize(host: host)), method: method, uri: uri, headers: headers)
    }

    /// The entries that may serve a host on a socket, in precedence order: the first half of
    /// `decide`, which depends on the host only (a connection that repeats its host keeps them).
    struct Candidates {
        let port: Int
        let isTLS: Bool
        let entries: [RouteEntry]
    }

    /// Which listener (of those sharing `socket`) serves `hostname`: the most specific one.
    func listenerIndex(socket: ListenerSocket, hostname: String) -> Int? {
        sockets[socket]?.listeners.firstIndex(where: { $0.hostname?.matches(host: hostname) ?? true })
    }

    func candidates(socket: ListenerSocket, hostname: String) -> Candidates? {
        // Listeners are looked at where they are stored, by index, rather than through the
        // copies a `for` loop or `first(where:)` hands out.
        guard let portTable = sockets[socket], let listener = listenerIndex(socket: socket, hostname: hostname) else { return nil }
        let entries = portTable.listeners[listener].entries(for: hostname)
        guard !entries.isEmpty else { return nil }
        return Candidates(port: socket.port, isTLS: portTable.isTLS, entries: entries)
    }

    /// The second half of `decide`: the first entry that matches the request.
    func decide(in candidates: Candidates?, method: String, uri: String, headers: some HeaderFieldLookup) -> RouteDecision {
        guard let candidates else { return .notFound }
        let entries = candidates.entries
        // As bytes: a path is compared byte for byte, never as Unicode text.
        let queryStart = uri.utf8.firstIndex(of: UInt8(ascii: "?"))
        let path = queryStart.map { uri[..<$0] } ?? Substring(uri)
        let query = queryStart.map { uri[uri.utf8.index(after: $0)...] }
        for index in entries.indices where entries[index].match.matches(method: method, path: path, query: query, headers: headers) {
            var prefix: String?
            if case .prefix(let matched) = entries[index].match.path { prefix = matched }
            return .matched(rule: entries[index].rule, prefix: prefix, listenerPort: candidates.port, isTLS: candidates.isTLS)
        }
        return .notFound
    }

    /// Lowercased, without `:port` (keeps an IPv6 literal's brackets).
    static func normalize(host: String) -> String {
        // Most Host headers are already lowercase ASCII without a port: kept as they are, with no new string.
        let needsWork = host.utf8.contains { byte in
            byte >= 0x80 || byte == UInt8(ascii: ":") || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        }
        if !needsWork, host.utf8.last != UInt8(ascii: ".") { return host }
        var host = Substring(host)
        if host.hasPrefix("[") {
            if let close = host.firstIndex(of: "]") { host = host[...close] }
        } else if let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        if host.hasSuffix(".") { host = host.dropLast() }
        return host.lowercased()
    }
}

extension CompiledListener {
    /// The most specific hostname group that covers `host`: exact, then the longest wildcard, then any.
    func entries(for host: String) -> [RouteEntry] {
        if let exact = exactHosts[host] { return exact }
        for group in wildcardHosts where host.count > group.suffix.count && host.hasSuffix(group.suffix) {
            return group.entries
        }
        return anyHost
    }
}

extension CompiledMatch {
    func matches(method: String, path: Substring, query: Substring?, headers: some HeaderFieldLookup) -> Bool {
        switch self.path {
        case .exact(let value):
            guard path.utf8.elementsEqual(value.utf8) else { return false }
        case .prefix(let prefix):
            if !prefix.isEmpty {
                guard Self.hasPathPrefix(path, prefix) else { return false }
            }
        case .regex(let regex):
            guard regex.wholeMatches(path) else { return false }
        }
        if let expected = self.method, expected != method { return false }
        for (name, value) in self.headers {
            guard let joined = headers.combinedValue(named: name), value.matches(joined) else { return false }
        }
        if !queryParams.isEmpty {
            guard let query else { return false }
            for (name, value) in queryParams {
                guard let found = Self.firstQueryValue(named: name, in: query), value.matches(found) else { return false }
            }
        }
        return true
    }

    /// `path` begins with `prefix` up to a segment's end (`/api` matches `/api` and `/api/x`, not
    /// `/apix`). Compared as bytes where both are contiguous (they are, as native strings): the
    /// UTF-8 views' `starts(with:)` and `dropFirst` went byte by byte through their iterators.
    static func hasPathPrefix(_ path: Substring, _ prefix: String) -> Bool {
        let compared = path.utf8.withContiguousStorageIfAvailable { pathBytes in
            prefix.utf8.withContiguousStorageIfAvailable { prefixBytes -> Bool in
                guard pathBytes.count >= prefixBytes.count,
                    pathBytes.count == prefixBytes.count || pathBytes[prefixBytes.count] == UInt8(ascii: "/")
                else { return false }
                return prefixBytes.isEmpty || memcmp(pathBytes.baseAddress!, prefixBytes.baseAddress!, prefixBytes.count) == 0
            }
        }
        if let compared = compared ?? nil { return compared }
        guard path.utf8.starts(with: prefix.utf8) else { return false }
        let rest = path.utf8.dropFirst(prefix.utf8.count)
        return rest.isEmpty || rest.first == UInt8(ascii: "/")
    }

    /// The first value of a query parameter (names compared exactly).
    static func firstQueryValue(named name: String, in query: Substring) -> Substring? {
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            if let equals = pair.firstIndex(of: "=") {
                if pair[..<equals] == name { return pair[pair.index(after: equals)...] }
            } else if pair == name {
                return ""
            }
        }
        return nil
    }
}
