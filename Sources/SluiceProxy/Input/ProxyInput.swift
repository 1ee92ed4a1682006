import SluiceModel

/// One consistent view of the live objects the route compiler reads. The agent fills it from a
/// `Cluster` watch; tests fill it from manifests. Values only: compiling it has no side effects.
public struct ProxyInput: Sendable, Hashable {
    public var gatewayClasses: [GatewayClass] = []
    public var gateways: [Gateway] = []
    public var httpRoutes: [HTTPRoute] = []
    /// Read only to tell them they are not served (`Accepted=False NotAllowedByListeners`).
    public var grpcRoutes: [GRPCRoute] = []
    public var referenceGrants: [ReferenceGrant] = []
    public var listenerSets: [ListenerSet] = []
    public var services: [Service] = []
    public var endpointSlices: [EndpointSlice] = []
    public var secrets: [Secret] = []
    public var namespaces: [Namespace] = []

    public init() {}

    /// Adds every object of `other`, kind by kind.
    public mutating func append(_ other: ProxyInput) {
        gatewayClasses += other.gatewayClasses
        gateways += other.gateways
        httpRoutes += other.httpRoutes
        grpcRoutes += other.grpcRoutes
        referenceGrants += other.referenceGrants
        listenerSets += other.listenerSets
        services += other.services
        endpointSlices += other.endpointSlices
        secrets += other.secrets
        namespaces += other.namespaces
    }

    /// Sorts objects by kind into typed values; kinds the proxy does not read are skipped.
    /// An object of a read kind that does not decode is an error naming that object.
    public init(objects: [Object]) throws(DecodingFailure) {
        for object in objects {
            switch (object.group, object.kind) {
            case ("gateway.networking.k8s.io", "GatewayClass"): gatewayClasses.append(try object.decode())
            case ("gateway.networking.k8s.io", "Gateway"): gateways.append(try object.decode())
            case ("gateway.networking.k8s.io", "HTTPRoute"): httpRoutes.append(try object.decode())
            case ("gateway.networking.k8s.io", "GRPCRoute"): grpcRoutes.append(try object.decode())
            case ("gateway.networking.k8s.io", "ReferenceGrant"): referenceGrants.append(try object.decode())
            case ("gateway.networking.k8s.io", "ListenerSet"): listenerSets.append(try object.decode())
            case ("", "Service"): services.append(try object.decode())
            case ("discovery.k8s.io", "EndpointSlice"): endpointSlices.append(try object.decode())
            case ("", "Secret"): secrets.append(try object.decode())
            case ("", "Namespace"): namespaces.append(try object.decode())
            default: continue
            }
        }
    }
}

/// Where the proxy gets its configuration: each snapshot replaces the last one whole.
/// The agent's implementation will watch a `Cluster`; `ProxyInputStream` is fed by hand.
public protocol ProxyConfigurationSource: Sendable {
    /// Snapshots in order; the proxy compiles and installs each one as it arrives.
    func snapshots() -> AsyncStream<ProxyInput>
}

/// A configuration source fed by hand: each `yield` is a new snapshot (tests, benchmarks, and an
/// adapter for a watch that already produces whole snapshots).
public struct ProxyInputStream: ProxyConfigurationSource {
    private let stream: AsyncStream<ProxyInput>
    private let continuation: AsyncStream<ProxyInput>.Continuation

    public init() {
        (stream, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Replaces the configuration; only the newest unread snapshot is kept.
    public func yield(_ input: ProxyInput) { continuation.yield(input) }

    /// Ends the stream; `ProxyServer.run` returns.
    public func finish() { continuation.finish() }

    public func snapshots() -> AsyncStream<ProxyInput> { stream }
}
