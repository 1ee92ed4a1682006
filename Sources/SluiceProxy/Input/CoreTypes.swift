import SluiceModel

/// The parts of a core `Service` the route compiler reads: its ports, to map a backendRef's port to
/// the EndpointSlice port of the same name.
public typealias Service = Resource<ServiceSpec, NoStatus>

public struct ServiceSpec: Codable, Sendable, Hashable {
    public var type: String?
    public var ports: [Port]?

    public init(type: String? = nil, ports: [Port]? = nil) {
        self.type = type
        self.ports = ports
    }

    public struct Port: Codable, Sendable, Hashable {
        public var name: String?
        public var port: Int
        public var appProtocol: String?

        public init(name: String? = nil, port: Int, appProtocol: String? = nil) {
            self.name = name
            self.port = port
            self.appProtocol = appProtocol
        }
    }
}

/// `discovery.k8s.io/v1` EndpointSlice: endpoints of one Service (label `kubernetes.io/service-name`).
/// Its fields sit at the top level, not under `spec`, so it is not a `Resource`.
public struct EndpointSlice: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var addressType: String?
    public var endpoints: [Endpoint]?
    public var ports: [Port]?

    public init(metadata: ObjectMeta, addressType: String = "IPv4", endpoints: [Endpoint], ports: [Port]) {
        self.apiVersion = "discovery.k8s.io/v1"
        self.kind = "EndpointSlice"
        self.metadata = metadata
        self.addressType = addressType
        self.endpoints = endpoints
        self.ports = ports
    }

    /// The label that names the Service a slice belongs to.
    public static let serviceNameLabel = "kubernetes.io/service-name"

    public struct Endpoint: Codable, Sendable, Hashable {
        public var addresses: [String]
        public var conditions: Conditions?

        public init(addresses: [String], conditions: Conditions? = nil) {
            self.addresses = addresses
            self.conditions = conditions
        }

        public struct Conditions: Codable, Sendable, Hashable {
            public var ready: Bool?
            public var serving: Bool?
            public var terminating: Bool?

            public init(ready: Bool? = nil) { self.ready = ready }
        }
    }

    public struct Port: Codable, Sendable, Hashable {
        public var name: String?
        public var port: Int?
        public var `protocol`: String?

        public init(name: String? = nil, port: Int) {
            self.name = name
            self.port = port
        }
    }
}

/// A core Secret; the proxy reads `kubernetes.io/tls` ones (`tls.crt`, `tls.key`, base64 in `data`).
public struct Secret: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var type: String?
    public var data: [String: String]?

    public init(metadata: ObjectMeta, type: String = "kubernetes.io/tls", data: [String: String]) {
        self.apiVersion = "v1"
        self.kind = "Secret"
        self.metadata = metadata
        self.type = type
        self.data = data
    }
}

/// A core Namespace: only its labels matter here (`allowedRoutes.namespaces.selector`).
public struct Namespace: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta

    public init(name: String, labels: [String: String] = [:]) {
        self.apiVersion = "v1"
        self.kind = "Namespace"
        self.metadata = ObjectMeta(name: name, labels: labels)
    }
}
