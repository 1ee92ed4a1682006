import NIOHTTP1

/// Path, host and header changes the filters make.
enum RequestRewriting {
    /// Headers that describe one hop and must not be forwarded (RFC 9110 7.6.1).
    static let hopByHop = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"]

    static func removeHopByHop(_ headers: inout HTTPHeaders, keepTransferEncoding: Bool = true) {
        for token in headers[canonicalForm: "connection"] where !hopByHop.contains(token.lowercased()) {
            headers.remove(name: String(token))
        }
        for name in hopByHop where headers.contains(name: name) { headers.remove(name: name) }
        if !keepTransferEncoding { headers.remove(name: "transfer-encoding") }
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
        let queryStart = uri.firstIndex(of: "?")
        let path = queryStart.map { String(uri[..<$0]) } ?? uri
        let query = queryStart.map { String(uri[$0...]) } ?? ""
        return apply(modifier, to: path, matchedPrefix: matchedPrefix) + query
    }

    /// ReplaceFullPath, or ReplacePrefixMatch on segment boundaries (`/api/x` with `/api` → `/` gives `/x`).
    static func apply(_ modifier: PathModifier, to path: String, matchedPrefix: String?) -> String {
        switch modifier {
        case .replaceFullPath(let replacement):
            return replacement
        case .replacePrefixMatch(let replacement):
            let prefix = matchedPrefix ?? ""
            var rest = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
            var result = replacement
            if result.hasSuffix("/"), rest.hasPrefix("/") { rest.removeFirst() }
            if !result.hasSuffix("/"), !rest.isEmpty, !rest.hasPrefix("/") { result += "/" }
            result += rest
            if result.isEmpty { return "/" }
            if !result.hasPrefix("/") { result = "/" + result }
            return result
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
        let queryStart = uri.firstIndex(of: "?")
        var path = queryStart.map { String(uri[..<$0]) } ?? uri
        let query = queryStart.map { String(uri[$0...]) } ?? ""
        if let modifier = redirect.path { path = apply(modifier, to: path, matchedPrefix: matchedPrefix) }
        let omitPort = (scheme == "http" && port == 80) || (scheme == "https" && port == 443)
        return "\(scheme)://\(hostname)\(omitPort ? "" : ":\(port)")\(path)\(query)"
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
