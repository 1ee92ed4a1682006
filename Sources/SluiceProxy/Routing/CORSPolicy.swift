import SluiceModel

/// An HTTPRoute rule's CORS filter, ready to answer with. The proxy answers a preflight request
/// itself and adds the `Access-Control-*` fields to the responses of requests from an allowed
/// origin. An allowed origin is always echoed, never answered with `*`: that is right with and
/// without credentials, and `Vary: Origin` keeps caches from serving one origin's answer to another.
public struct CORSPolicy: Sendable {
    /// An allowed origin: any, or a scheme, a host pattern and a port.
    enum Origin: Sendable, Equatable {
        case any
        /// `hostSuffix` nil: the exact host; else hosts ending in it (`*.bar.com`: `.bar.com`),
        /// `*` alone an empty suffix: any host of the scheme.
        case pattern(scheme: String, host: String, hostSuffix: String?, port: Int)
    }

    let origins: [Origin]
    let allowsAnyMethod: Bool
    let methods: String?
    let allowsAnyHeader: Bool
    let allowedHeaders: String?
    let exposedHeaders: String?
    let allowsCredentials: Bool
    let maxAge: Int

    init(_ filter: HTTPRouteFilter.CORS) {
        origins = (filter.allowOrigins ?? []).compactMap(Self.origin)
        let methods = filter.allowMethods ?? []
        allowsAnyMethod = methods.contains("*")
        self.methods = methods.isEmpty || allowsAnyMethod ? nil : methods.joined(separator: ", ")
        let headers = filter.allowHeaders ?? []
        allowsAnyHeader = headers.contains("*")
        allowedHeaders = headers.isEmpty || allowsAnyHeader ? nil : headers.joined(separator: ", ")
        allowsCredentials = filter.allowCredentials ?? false
        let exposed = filter.exposeHeaders ?? []
        // With credentials a `*` would be read as a header named `*` (Fetch): there is no list to
        // give instead, so none is given.
        exposedHeaders = exposed.isEmpty || (exposed.contains("*") && allowsCredentials) ? nil : exposed.joined(separator: ", ")
        maxAge = filter.maxAge ?? 5
    }

    /// Whether a request's `Origin` value is allowed.
    func allows(origin value: String) -> Bool {
        if origins.contains(.any) { return true }
        guard case .pattern(let scheme, let host, _, let port)? = Self.origin(value), !host.contains("*") else { return false }
        return origins.contains { allowed in
            guard case .pattern(let allowedScheme, let allowedHost, let suffix, let allowedPort) = allowed else { return true }
            guard allowedScheme == scheme, allowedPort == port else { return false }
            guard let suffix else { return allowedHost == host }
            return host.count > suffix.count && host.hasSuffix(suffix)
        }
    }

    /// The fields of the proxy's answer to a preflight request from an allowed origin.
    func preflightFields(origin: String, requestMethod: Substring?, requestHeaders: Substring?) -> [(name: String, value: String)] {
        var fields = responseFields(origin: origin)
        if let requestMethod {
            if allowsAnyMethod {
                fields.append(("access-control-allow-methods", String(requestMethod)))
            } else if let methods {
                fields.append(("access-control-allow-methods", methods))
            }
        }
        if let requestHeaders {
            if allowsAnyHeader {
                fields.append(("access-control-allow-headers", String(requestHeaders)))
            } else if let allowedHeaders {
                fields.append(("access-control-allow-headers", allowedHeaders))
            }
        }
        fields.append(("access-control-max-age", String(maxAge)))
        return fields
    }

    /// The fields added to a response to a request from an allowed origin.
    func responseFields(origin: String) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [("access-control-allow-origin", origin)]
        if allowsCredentials { fields.append(("access-control-allow-credentials", "true")) }
        if let exposedHeaders { fields.append(("access-control-expose-headers", exposedHeaders)) }
        return fields
    }

    /// `scheme://host[:port]` with the port the scheme implies when none is given, lowercased;
    /// nil for what is not an origin (`null`, a path, another scheme).
    static func origin(_ text: String) -> Origin? {
        if text == "*" { return .any }
        let lowered = text.lowercased()
        let scheme: String
        if lowered.hasPrefix("https://") {
            scheme = "https"
        } else if lowered.hasPrefix("http://") {
            scheme = "http"
        } else {
            return nil
        }
        let authority = lowered.dropFirst(scheme.count + 3)
        guard !authority.isEmpty, !authority.contains("/") else { return nil }
        var host = Substring(authority)
        var port = scheme == "https" ? 443 : 80
        // An IPv6 literal keeps its colons inside brackets.
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            guard let given = Int(authority[authority.index(after: colon)...]), (1...65535).contains(given) else { return nil }
            port = given
            host = authority[..<colon]
        }
        guard !host.isEmpty else { return nil }
        if host == "*" { return .pattern(scheme: scheme, host: "*", hostSuffix: "", port: port) }
        if host.hasPrefix("*.") { return .pattern(scheme: scheme, host: String(host), hostSuffix: String(host.dropFirst()), port: port) }
        return .pattern(scheme: scheme, host: String(host), hostSuffix: nil, port: port)
    }
}
