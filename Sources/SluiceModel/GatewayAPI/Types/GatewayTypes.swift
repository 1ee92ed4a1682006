/// GatewayClass, Gateway and ReferenceGrant as typed values.

public typealias GatewayClass = Resource<GatewayClassSpec, GatewayClassStatus>

public struct GatewayClassSpec: Codable, Sendable, Hashable {
    public var controllerName: String
    public var description: String?
    public var parametersRef: ObjectReferenceSpec?

    public init(controllerName: String, description: String? = nil) {
        self.controllerName = controllerName
        self.description = description
    }
}

public struct GatewayClassStatus: Codable, Sendable, Hashable {
    public var conditions: [Condition]?
    public var supportedFeatures: [SupportedFeature]?

    public struct SupportedFeature: Codable, Sendable, Hashable {
        public var name: String

        public init(name: String) { self.name = name }
    }
}

public typealias Gateway = Resource<GatewaySpec, GatewayStatus>

public struct GatewaySpec: Codable, Sendable, Hashable {
    public var gatewayClassName: String
    public var listeners: [Listener]
    public var addresses: [GatewayAddress]?
    public var infrastructure: JSONValue?
    public var allowedListeners: AllowedListeners?
    public var tls: JSONValue?

    public init(gatewayClassName: String, listeners: [Listener]) {
        self.gatewayClassName = gatewayClassName
        self.listeners = listeners
    }
}

/// Which namespaces' ListenerSets may attach to a Gateway: None (the default), Same, All, Selector.
public struct AllowedListeners: Codable, Sendable, Hashable {
    public var namespaces: Listener.AllowedRoutes.Namespaces?

    public init(namespaces: Listener.AllowedRoutes.Namespaces? = nil) {
        self.namespaces = namespaces
    }
}

public struct GatewayAddress: Codable, Sendable, Hashable {
    public var type: String?
    public var value: String?

    public init(type: String? = nil, value: String? = nil) {
        self.type = type
        self.value = value
    }
}

/// One listener: a port, a protocol, an optional hostname and TLS, and which routes may attach.
public struct Listener: Codable, Sendable, Hashable {
    public var name: String
    public var hostname: String?
    public var port: Int
    public var `protocol`: String
    public var tls: TLSConfig?
    public var allowedRoutes: AllowedRoutes?

    public init(name: String, hostname: String? = nil, port: Int, protocol: String, tls: TLSConfig? = nil, allowedRoutes: AllowedRoutes? = nil) {
        self.name = name
        self.hostname = hostname
        self.port = port
        self.protocol = `protocol`
        self.tls = tls
        self.allowedRoutes = allowedRoutes
    }

    public struct TLSConfig: Codable, Sendable, Hashable {
        public var mode: String?
        public var certificateRefs: [SecretObjectReference]?
        public var options: [String: String]?
    }

    public struct AllowedRoutes: Codable, Sendable, Hashable {
        public var namespaces: Namespaces?
        public var kinds: [RouteGroupKind]?

        public struct Namespaces: Codable, Sendable, Hashable {
            /// All, Selector or Same (and None, for `allowedListeners`).
            public var from: String?
            public var selector: LabelSelector?

            public init(from: String? = nil, selector: LabelSelector? = nil) {
                self.from = from
                self.selector = selector
            }
        }
    }
}

public struct RouteGroupKind: Codable, Sendable, Hashable {
    public var group: String?
    public var kind: String

    public init(group: String? = nil, kind: String) {
        self.group = group
        self.kind = kind
    }
}

/// `metav1.LabelSelector`.
public struct LabelSelector: Codable, Sendable, Hashable {
    public var matchLabels: [String: String]?
    public var matchExpressions: [Requirement]?

    public struct Requirement: Codable, Sendable, Hashable {
        public var key: String
        public var `operator`: String
        public var values: [String]?
    }
}

public struct GatewayStatus: Codable, Sendable, Hashable {
    public var addresses: [GatewayAddress]?
    public var conditions: [Condition]?
    public var listeners: [ListenerStatus]?
    public var attachedListenerSets: Int?

    public struct ListenerStatus: Codable, Sendable, Hashable {
        public var name: String
        public var supportedKinds: [RouteGroupKind]?
        public var attachedRoutes: Int
        public var conditions: [Condition]
    }
}

public typealias ReferenceGrant = Resource<ReferenceGrantSpec, NoStatus>

public struct ReferenceGrantSpec: Codable, Sendable, Hashable {
    public var from: [From]
    public var to: [To]

    public struct From: Codable, Sendable, Hashable {
        public var group: String
        public var kind: String
        public var namespace: String
    }

    public struct To: Codable, Sendable, Hashable {
        public var group: String
        public var kind: String
        public var name: String?
    }
}

extension GatewayStatus {
    public init(addresses: [GatewayAddress]? = nil, conditions: [Condition], listeners: [ListenerStatus], attachedListenerSets: Int? = nil) {
        self.addresses = addresses
        self.attachedListenerSets = attachedListenerSets
        self.conditions = conditions
        self.listeners = listeners
    }
}

extension GatewayStatus.ListenerStatus {
    public init(name: String, supportedKinds: [RouteGroupKind], attachedRoutes: Int, conditions: [Condition]) {
        self.name = name
        self.supportedKinds = supportedKinds
        self.attachedRoutes = attachedRoutes
        self.conditions = conditions
    }
}

extension GatewayClassStatus {
    public init(conditions: [Condition], supportedFeatures: [SupportedFeature]? = nil) {
        self.conditions = conditions
        self.supportedFeatures = supportedFeatures
    }
}

public typealias ListenerSet = Resource<ListenerSetSpec, ListenerSetStatus>

/// Listeners for the Gateway `parentRef` names, merged into its own after them.
public struct ListenerSetSpec: Codable, Sendable, Hashable {
    public var parentRef: ParentGatewayReference
    public var listeners: [Listener]

    public init(parentRef: ParentGatewayReference, listeners: [Listener]) {
        self.parentRef = parentRef
        self.listeners = listeners
    }

    public struct ParentGatewayReference: Codable, Sendable, Hashable {
        public var group: String?
        public var kind: String?
        public var name: String
        public var namespace: String?

        public init(group: String? = nil, kind: String? = nil, name: String, namespace: String? = nil) {
            self.group = group
            self.kind = kind
            self.name = name
            self.namespace = namespace
        }
    }
}

public struct ListenerSetStatus: Codable, Sendable, Hashable {
    public var conditions: [Condition]?
    public var listeners: [GatewayStatus.ListenerStatus]?

    public init(conditions: [Condition], listeners: [GatewayStatus.ListenerStatus]) {
        self.conditions = conditions
        self.listeners = listeners
    }
}
