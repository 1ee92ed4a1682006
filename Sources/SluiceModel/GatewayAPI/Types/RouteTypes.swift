/// HTTPRoute and GRPCRoute as typed values: what the proxy compiles and the canary steps.

public typealias HTTPRoute = Resource<HTTPRouteSpec, RouteStatus>

public struct HTTPRouteSpec: Codable, Sendable, Hashable {
    public var parentRefs: [ParentReference]?
    public var hostnames: [String]?
    public var rules: [HTTPRouteRule]?

    public init(parentRefs: [ParentReference]? = nil, hostnames: [String]? = nil, rules: [HTTPRouteRule]? = nil) {
        self.parentRefs = parentRefs
        self.hostnames = hostnames
        self.rules = rules
    }
}

public struct HTTPRouteRule: Codable, Sendable, Hashable {
    public var name: String?
    public var matches: [HTTPRouteMatch]?
    public var filters: [HTTPRouteFilter]?
    public var backendRefs: [HTTPBackendRef]?
    public var timeouts: Timeouts?

    public init(name: String? = nil, matches: [HTTPRouteMatch]? = nil, filters: [HTTPRouteFilter]? = nil, backendRefs: [HTTPBackendRef]? = nil) {
        self.name = name
        self.matches = matches
        self.filters = filters
        self.backendRefs = backendRefs
    }

    /// Gateway API durations (`10s`, `1h30m`, `500ms`).
    public struct Timeouts: Codable, Sendable, Hashable {
        public var request: String?
        public var backendRequest: String?
    }
}

public struct HTTPRouteMatch: Codable, Sendable, Hashable {
    public var path: PathMatch?
    public var headers: [HeaderMatch]?
    public var queryParams: [HeaderMatch]?
    public var method: String?

    public init(path: PathMatch? = nil, headers: [HeaderMatch]? = nil, queryParams: [HeaderMatch]? = nil, method: String? = nil) {
        self.path = path
        self.headers = headers
        self.queryParams = queryParams
        self.method = method
    }

    public struct PathMatch: Codable, Sendable, Hashable {
        /// Exact, PathPrefix or RegularExpression.
        public var type: String?
        public var value: String?

        public init(type: String? = nil, value: String? = nil) {
            self.type = type
            self.value = value
        }
    }
}

public struct HTTPRouteFilter: Codable, Sendable, Hashable {
    /// RequestHeaderModifier, ResponseHeaderModifier, RequestMirror, RequestRedirect,
    /// URLRewrite, ExtensionRef or CORS.
    public var type: String
    public var requestHeaderModifier: HTTPHeaderFilter?
    public var responseHeaderModifier: HTTPHeaderFilter?
    public var requestMirror: HTTPRequestMirrorFilter?
    public var requestRedirect: RequestRedirect?
    public var urlRewrite: URLRewrite?
    public var extensionRef: LocalObjectReference?
    public var cors: CORS?

    public struct PathModifier: Codable, Sendable, Hashable {
        /// ReplaceFullPath or ReplacePrefixMatch.
        public var type: String
        public var replaceFullPath: String?
        public var replacePrefixMatch: String?

        public init(type: String, replaceFullPath: String? = nil, replacePrefixMatch: String? = nil) {
            self.type = type
            self.replaceFullPath = replaceFullPath
            self.replacePrefixMatch = replacePrefixMatch
        }
    }

    public struct RequestRedirect: Codable, Sendable, Hashable {
        public var scheme: String?
        public var hostname: String?
        public var path: PathModifier?
        public var port: Int?
        public var statusCode: Int?
    }

    public struct URLRewrite: Codable, Sendable, Hashable {
        public var hostname: String?
        public var path: PathModifier?

        public init(hostname: String? = nil, path: PathModifier? = nil) {
            self.hostname = hostname
            self.path = path
        }
    }

    public struct CORS: Codable, Sendable, Hashable {
        public var allowOrigins: [String]?
        public var allowCredentials: Bool?
        public var allowMethods: [String]?
        public var allowHeaders: [String]?
        public var exposeHeaders: [String]?
        public var maxAge: Int?

        public init(
            allowOrigins: [String]? = nil, allowCredentials: Bool? = nil, allowMethods: [String]? = nil, allowHeaders: [String]? = nil,
            exposeHeaders: [String]? = nil, maxAge: Int? = nil
        ) {
            self.allowOrigins = allowOrigins
            self.allowCredentials = allowCredentials
            self.allowMethods = allowMethods
            self.allowHeaders = allowHeaders
            self.exposeHeaders = exposeHeaders
            self.maxAge = maxAge
        }
    }
}

/// A backend of an HTTP rule, with its share of traffic (`weight`, default 1).
public struct HTTPBackendRef: Codable, Sendable, Hashable {
    public var group: String?
    public var kind: String?
    public var name: String
    public var namespace: String?
    public var port: Int?
    public var weight: Int?
    public var filters: [HTTPRouteFilter]?

    public init(name: String, namespace: String? = nil, port: Int? = nil, weight: Int? = nil) {
        self.name = name
        self.namespace = namespace
        self.port = port
        self.weight = weight
    }

    public var reference: BackendObjectReference {
        BackendObjectReference(group: group, kind: kind, name: name, namespace: namespace, port: port)
    }
}

public typealias GRPCRoute = Resource<GRPCRouteSpec, RouteStatus>

public struct GRPCRouteSpec: Codable, Sendable, Hashable {
    public var parentRefs: [ParentReference]?
    public var hostnames: [String]?
    public var rules: [GRPCRouteRule]?
}

public struct GRPCRouteRule: Codable, Sendable, Hashable {
    public var name: String?
    public var matches: [GRPCRouteMatch]?
    public var filters: [GRPCRouteFilter]?
    public var backendRefs: [GRPCBackendRef]?
}

public struct GRPCRouteMatch: Codable, Sendable, Hashable {
    public var method: MethodMatch?
    public var headers: [HeaderMatch]?

    public init(method: MethodMatch? = nil, headers: [HeaderMatch]? = nil) {
        self.method = method
        self.headers = headers
    }

    public struct MethodMatch: Codable, Sendable, Hashable {
        public var type: String?
        public var service: String?
        public var method: String?
    }
}

public struct GRPCRouteFilter: Codable, Sendable, Hashable {
    public var type: String
    public var requestHeaderModifier: HTTPHeaderFilter?
    public var responseHeaderModifier: HTTPHeaderFilter?
    public var requestMirror: HTTPRequestMirrorFilter?
    public var extensionRef: LocalObjectReference?
}

public struct GRPCBackendRef: Codable, Sendable, Hashable {
    public var group: String?
    public var kind: String?
    public var name: String
    public var namespace: String?
    public var port: Int?
    public var weight: Int?
    public var filters: [GRPCRouteFilter]?
}

extension HTTPRouteFilter {
    /// A filter of `type` with no settings yet; set the member that `type` names.
    public init(type: String) { self.type = type }
}
