import Foundation
import SluiceModel

/// Everything the data plane needs to answer a request, compiled from one `ProxyInput`.
/// Immutable: a reload builds a new table and swaps it in whole.
public struct RouteTable: Sendable {
    /// Listening sockets (ports before any offset), each with the listeners sharing it.
    public var sockets: [ListenerSocket: PortTable]
    /// Every backend a rule can send to, by key, so statistics can be set up per backend.
    public var backends: Set<BackendKey>
    /// The same keys in the order of their `ResolvedBackend.slot`: a request finds its backend's
    /// statistics by index (a hash of the key's two strings cost more, on every request).
    let slottedBackends: [BackendKey]

    public init(sockets: [ListenerSocket: PortTable] = [:], backends: Set<BackendKey> = []) {
        self.init(sockets: sockets, slottedBackends: backends.sorted())
    }

    init(sockets: [ListenerSocket: PortTable], slottedBackends: [BackendKey]) {
        self.sockets = sockets
        self.backends = Set(slottedBackends)
        self.slottedBackends = slottedBackends
    }

    /// The listeners of all Gateways on one socket; the request's host (or the TLS server name)
    /// picks among them.
    public struct PortTable: Sendable {
        public var isTLS: Bool
        /// Listeners most specific first: exact hostnames, then wildcards longest first, then none.
        public var listeners: [CompiledListener]
    }
}

/// Where listeners are served: an address and a Gateway listener port (before any offset).
public struct ListenerSocket: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// A Gateway's own address (`spec.addresses`, or one handed out from the proxy's pool); nil:
    /// the proxy's bind address, shared by every Gateway without one of its own.
    public var address: String?
    public var port: Int

    public init(address: String? = nil, port: Int) {
        self.address = address
        self.port = port
    }

    public static func < (lhs: ListenerSocket, rhs: ListenerSocket) -> Bool {
        (lhs.address ?? "", lhs.port) < (rhs.address ?? "", rhs.port)
    }

    public var description: String { "\(address.map { $0.contains(":") ? "[\($0)]" : $0 } ?? "*"):\(port)" }
}

/// One Gateway listener with the routes attached to it, ready for lookup. A class: every request
/// looks one up, and a struct's copy retained each of its strings and collections.
public final class CompiledListener: Sendable {
    /// The Gateway (`namespace/name`) of the first listener merged into this one.
    public let gateway: String
    /// Every Gateway with a listener merged into this one.
    public let gateways: Set<String>
    public let name: String
    public let hostname: Hostname?
    /// PEM certificate chain and key from the first `certificateRefs` Secret, for HTTPS listeners.
    public let certificate: TLSCertificate?
    /// Route entries grouped by hostname, most specific hostname first; see `RouteTable+Lookup`.
    public let exactHosts: [String: [RouteEntry]]
    public let wildcardHosts: [(suffix: String, entries: [RouteEntry])]
    public let anyHost: [RouteEntry]

    init(
        gateways: [String], name: String, hostname: Hostname?, certificate: TLSCertificate?, exactHosts: [String: [RouteEntry]],
        wildcardHosts: [(suffix: String, entries: [RouteEntry])], anyHost: [RouteEntry]
    ) {
        self.gateway = gateways[0]
        self.gateways = Set(gateways)
        self.name = name
        self.hostname = hostname
        self.certificate = certificate
        self.exactHosts = exactHosts
        self.wildcardHosts = wildcardHosts
        self.anyHost = anyHost
    }
}

/// A server certificate for TLS termination.
public struct TLSCertificate: Sendable, Hashable {
    public var certificatePEM: [UInt8]
    public var keyPEM: [UInt8]
}

/// A hostname pattern: exact (`foo.example.com`) or wildcard (`*.example.com`).
public struct Hostname: Sendable, Hashable, CustomStringConvertible {
    public var value: String
    public var isWildcard: Bool { value.hasPrefix("*.") }
    /// For `*.example.com`: `.example.com`.
    public var wildcardSuffix: String { String(value.dropFirst()) }
    public var description: String { value }

    public init(_ value: String) { self.value = value.lowercased() }

    /// Whether a concrete host name (lowercased, no port) matches this pattern. A wildcard matches one
    /// or more labels in front of its suffix, never the suffix alone.
    public func matches(host: String) -> Bool {
        if isWildcard {
            let suffix = wildcardSuffix
            return host.count > suffix.count && host.hasSuffix(suffix)
        }
        return host == value
    }

    /// The intersection of a listener's hostname and a route's hostname (`nil`: they do not intersect).
    /// The more specific of the two is the effective hostname.
    public static func intersection(listener: Hostname?, route: Hostname) -> Hostname? {
        guard let listener else { return route }
        switch (listener.isWildcard, route.isWildcard) {
        case (false, false): return listener == route ? route : nil
        case (false, true): return route.matches(host: listener.value) ? listener : nil
        case (true, false): return listener.matches(host: route.value) ? route : nil
        case (true, true):
            if route.wildcardSuffix.hasSuffix(listener.wildcardSuffix) { return route }
            if listener.wildcardSuffix.hasSuffix(route.wildcardSuffix) { return listener }
            return nil
        }
    }
}

/// One match of one rule of one route, placed in precedence order. A class, as `CompiledListener`.
public final class RouteEntry: Sendable {
    public let match: CompiledMatch
    public let rule: CompiledRule
    /// Sort key: see `RouteCompiler.precedes`.
    let rank: Rank

    init(match: CompiledMatch, rule: CompiledRule, rank: Rank) {
        self.match = match
        self.rule = rule
        self.rank = rank
    }

    struct Rank: Sendable {
        var pathKind: Int      // 0 Exact, 1 PathPrefix, 2 RegularExpression
        var pathLength: Int
        var hasMethod: Bool
        var headerCount: Int
        var queryCount: Int
        /// A GRPCRoute's match ranks by the characters of its service, then of its method; nil for
        /// an HTTPRoute's.
        var grpc: (serviceLength: Int, methodLength: Int)? = nil
        var creationTimestamp: String
        var routeKey: String
        var ruleIndex: Int
        var matchIndex: Int
    }
}

/// What a request must look like to take a rule.
public struct CompiledMatch: Sendable {
    public enum Path: Sendable {
        case exact(String)
        case prefix(String)
        case regex(ProxyRegex)
    }

    public enum Value: Sendable {
        case exact(String)
        case regex(ProxyRegex)

        func matches(_ candidate: Substring) -> Bool {
            switch self {
            case .exact(let value): candidate == value
            case .regex(let regex): regex.wholeMatches(candidate)
            }
        }
    }

    public var path: Path
    /// Header names lowercased.
    public var headers: [(name: String, value: Value)]
    public var queryParams: [(name: String, value: Value)]
    public var method: String?
}

/// A regular expression compiled once, shared by every request. (`Regex` is not Sendable;
/// NSRegularExpression is, and its ICU dialect is close to RE2 for what routes use.)
public struct ProxyRegex: Sendable {
    public let pattern: String
    private let regex: NSRegularExpression

    public init(_ pattern: String) throws {
        self.pattern = pattern
        self.regex = try NSRegularExpression(pattern: "^(?:\(pattern))$")
    }

    public func wholeMatches(_ text: Substring) -> Bool {
        let string = String(text)
        return regex.firstMatch(in: string, range: NSRange(string.startIndex..., in: string)) != nil
    }
}

/// A rule's actions: filters, backends, timeouts.
public final class CompiledRule: Sendable {
    public let route: String
    public let ruleIndex: Int
    public let requestHeaders: HeaderModifier?
    public let responseHeaders: HeaderModifier?
    public let redirect: Redirect?
    public let rewrite: Rewrite?
    /// The CORS filter: preflight requests answered here, allowed origins' responses marked.
    public let cors: CORSPolicy?
    public let mirrors: [Mirror]
    public let backends: [WeightedBackend]
    public let totalWeight: Int
    /// `timeouts.request`: the whole exchange, as the client sees it (`0s` in the spec: none).
    public let requestTimeout: Duration?
    /// `timeouts.backendRequest`: one attempt at the backend.
    public let backendTimeout: Duration?
    /// A GRPCRoute's rule: a request it cannot send on (every backend invalid) is answered 503,
    /// which gRPC clients read as `UNAVAILABLE`, as the spec asks (an HTTPRoute's gets 500).
    public let isGRPC: Bool
    /// Worked out once, not per request (reading a filter's struct copies it, retaining each of
    /// its arrays): the request's fields change or are copied (mirrors), the filters' values can
    /// go on the wire (`WireText`), the response's fields change.
    let changesRequestFields: Bool
    let requestFiltersSendable: Bool
    let changesResponseFields: Bool
    let responseFiltersSendable: Bool

    init(
        route: String, ruleIndex: Int, requestHeaders: HeaderModifier?, responseHeaders: HeaderModifier?,
        redirect: Redirect?, rewrite: Rewrite?, cors: CORSPolicy? = nil, mirrors: [Mirror], backends: [WeightedBackend],
        requestTimeout: Duration?, backendTimeout: Duration?, isGRPC: Bool = false
    ) {
        self.route = route
        self.ruleIndex = ruleIndex
        self.requestHeaders = requestHeaders
        self.responseHeaders = responseHeaders
        self.redirect = redirect
        self.rewrite = rewrite
        self.cors = cors
        self.mirrors = mirrors
        self.backends = backends
        self.totalWeight = backends.reduce(0) { $0 + $1.weight }
        self.requestTimeout = requestTimeout
        self.backendTimeout = backendTimeout
        self.isGRPC = isGRPC
        self.changesRequestFields = rewrite?.hostname != nil || requestHeaders != nil || !mirrors.isEmpty
        self.requestFiltersSendable = (requestHeaders?.isSendable ?? true) && (rewrite?.hostname.map(WireText.isFieldValue) ?? true)
        self.changesResponseFields = responseHeaders != nil || cors != nil
        self.responseFiltersSendable = responseHeaders?.isSendable ?? true
    }

    /// Picks a backend for a number in `0..<totalWeight`; `nil` when every weight is 0.
    public func backend(at point: Int) -> WeightedBackend? {
        var remaining = point
        for backend in backends where backend.weight > 0 {
            if remaining < backend.weight { return backend }
            remaining -= backend.weight
        }
        return nil
    }
}

/// Set, add and remove headers (names compared case-insensitively).
public struct HeaderModifier: Sendable {
    public var set: [(name: String, value: String)]
    public var add: [(name: String, value: String)]
    public var remove: [String]
}

/// How a path filter changes the path.
public enum PathModifier: Sendable, Hashable {
    case replaceFullPath(String)
    case replacePrefixMatch(String)
}

/// `RequestRedirect`: answered by the proxy itself.
public struct Redirect: Sendable, Hashable {
    public var scheme: String?
    public var hostname: String?
    public var port: Int?
    public var path: PathModifier?
    public var statusCode: Int
}

/// `URLRewrite`: changes the request before it goes to the backend.
public struct Rewrite: Sendable, Hashable {
    public var hostname: String?
    public var path: PathModifier?
}

/// `RequestMirror`: a copy of the request to another backend, whose answer is dropped.
public struct Mirror: Sendable {
    public var backend: ResolvedBackend
    /// Share of requests mirrored, 0...1.
    public var fraction: Double
}

/// A backendRef after resolution, with its weight.
public final class WeightedBackend: Sendable {
    public let weight: Int
    public let target: BackendTarget
    public let requestHeaders: HeaderModifier?
    public let responseHeaders: HeaderModifier?

    // A class: a request holds the backend it picked, and a struct copy retained each of its parts.
    public init(weight: Int, target: BackendTarget, requestHeaders: HeaderModifier?, responseHeaders: HeaderModifier?) {
        self.weight = weight
        self.target = target
        self.requestHeaders = requestHeaders
        self.responseHeaders = responseHeaders
        self.requestHeadersSendable = requestHeaders?.isSendable ?? true
        self.responseHeadersSendable = responseHeaders?.isSendable ?? true
    }

    /// Worked out once (see `CompiledRule.requestFiltersSendable`).
    let requestHeadersSendable: Bool
    let responseHeadersSendable: Bool
}

public enum BackendTarget: Sendable {
    case backend(ResolvedBackend)
    /// The reference is invalid (not found, not permitted, wrong kind): requests get 500.
    case invalid(reason: String)
}

/// A Service port resolved to its ready endpoints.
public final class ResolvedBackend: Sendable {
    public let key: BackendKey
    public let endpoints: [Endpoint]
    /// Where `key` is in its table's `slottedBackends` (nil for a backend made outside a table).
    let slot: Int?

    public convenience init(key: BackendKey, endpoints: [Endpoint]) {
        self.init(key: key, endpoints: endpoints, slot: nil)
    }

    init(key: BackendKey, endpoints: [Endpoint], slot: Int?) {
        self.key = key
        self.endpoints = endpoints
        self.slot = slot
    }
}

public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// How requests reach it: its Service port's `appProtocol` says.
    public var wireProtocol: WireProtocol
    public var description: String { "\(host):\(port)" }

    /// HTTP/1.1, or HTTP/2 over cleartext with prior knowledge (`appProtocol: kubernetes.io/h2c`).
    public enum WireProtocol: Sendable, Hashable {
        case http1
        case h2c

        /// The protocol a Service port's `appProtocol` names (anything else, or none, is HTTP/1.1).
        public init(appProtocol: String?) {
            self = appProtocol == "kubernetes.io/h2c" ? .h2c : .http1
        }

        /// An `appProtocol` that asks for TLS to the backend (`kubernetes.io/wss`, the IANA
        /// names `https` and `wss`): a backend Sluice cannot reach as asked, which the spec calls
        /// an invalid backend (`ResolvedRefs=False UnsupportedProtocol`).
        public static func needsTLS(_ appProtocol: String) -> Bool {
            ["kubernetes.io/wss", "https", "wss"].contains(appProtocol.lowercased())
        }
    }

    public init(host: String, port: Int, wireProtocol: WireProtocol = .http1) {
        self.host = host
        self.port = port
        self.wireProtocol = wireProtocol
    }
}

/// Identifies a backend for statistics: Service namespace, name and port.
public struct BackendKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    public var port: Int
    public var description: String { "\(namespace)/\(name):\(port)" }

    public init(namespace: String, name: String, port: Int) {
        self.namespace = namespace
        self.name = name
        self.port = port
    }

    public static func < (lhs: BackendKey, rhs: BackendKey) -> Bool { lhs.description < rhs.description }
}
