/// References between Gateway API objects (`object_reference_types.go`, `shared_types.go`).

/// A route's reference to the Gateway (or other parent) it attaches to.
public struct ParentReference: Codable, Sendable, Hashable {
    public var group: String?
    public var kind: String?
    public var namespace: String?
    public var name: String
    public var sectionName: String?
    public var port: Int?

    public init(group: String? = nil, kind: String? = nil, namespace: String? = nil, name: String, sectionName: String? = nil, port: Int? = nil) {
        self.group = group
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.sectionName = sectionName
        self.port = port
    }
}

/// A reference to a backend: a Service unless group/kind say otherwise.
public struct BackendObjectReference: Codable, Sendable, Hashable {
    public var group: String?
    public var kind: String?
    public var name: String
    public var namespace: String?
    public var port: Int?

    public init(group: String? = nil, kind: String? = nil, name: String, namespace: String? = nil, port: Int? = nil) {
        self.group = group
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.port = port
    }

    /// Whether this names a core Service (group "" and kind Service, or left to the defaults).
    public var isService: Bool { (group ?? "").isEmpty && (kind ?? "Service") == "Service" }
}

/// A reference to a Secret (or other certificate holder).
public struct SecretObjectReference: Codable, Sendable, Hashable {
    public var group: String?
    public var kind: String?
    public var name: String
    public var namespace: String?
}

/// A reference by group, kind and name within the same namespace.
public struct LocalObjectReference: Codable, Sendable, Hashable {
    public var group: String
    public var kind: String
    public var name: String
}

/// A reference by group, kind, name and optional namespace.
public struct ObjectReferenceSpec: Codable, Sendable, Hashable {
    public var group: String
    public var kind: String
    public var name: String
    public var namespace: String?
}

/// One parent's view of a route: whether it accepted it, and why.
public struct RouteParentStatus: Codable, Sendable, Hashable {
    public var parentRef: ParentReference
    public var controllerName: String
    public var conditions: [Condition]

    public init(parentRef: ParentReference, controllerName: String, conditions: [Condition]) {
        self.parentRef = parentRef
        self.controllerName = controllerName
        self.conditions = conditions
    }
}

public struct RouteStatus: Codable, Sendable, Hashable {
    public var parents: [RouteParentStatus]

    public init(parents: [RouteParentStatus]) { self.parents = parents }
}

/// A header name and value.
public struct HTTPHeader: Codable, Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// Adds, sets and removes request or response headers.
public struct HTTPHeaderFilter: Codable, Sendable, Hashable {
    public var set: [HTTPHeader]?
    public var add: [HTTPHeader]?
    public var remove: [String]?

    public init(set: [HTTPHeader]? = nil, add: [HTTPHeader]? = nil, remove: [String]? = nil) {
        self.set = set
        self.add = add
        self.remove = remove
    }
}

/// Copies requests to another backend, for all or a share of them.
public struct HTTPRequestMirrorFilter: Codable, Sendable, Hashable {
    public var backendRef: BackendObjectReference
    public var percent: Int?
    public var fraction: Fraction?

    public struct Fraction: Codable, Sendable, Hashable {
        public var numerator: Int
        public var denominator: Int?
    }
}

/// A header match (HTTP and gRPC).
public struct HeaderMatch: Codable, Sendable, Hashable {
    public var type: String?
    public var name: String
    public var value: String

    public init(type: String? = nil, name: String, value: String) {
        self.type = type
        self.name = name
        self.value = value
    }
}
