import SluiceModel

/// How the controller reaches the proxy core's listeners: a Gateway's listener port to the
/// address and socket port that serve it. The agent builds it from
/// `ProxyServer.boundEndpoint(gateway:listenerPort:)`: a Gateway may have an address of its own.
public struct ProbeTarget: Sendable {
    /// The address and socket port serving `listenerPort` of `gateway`, or nil when it is not bound.
    public var socket: @Sendable (_ gateway: ObjectReference, _ listenerPort: Int) async -> (host: String, port: Int)?

    public init(socket: @escaping @Sendable (_ gateway: ObjectReference, _ listenerPort: Int) async -> (host: String, port: Int)?) {
        self.socket = socket
    }

    /// Every Gateway served at `host`; `port` gives the socket port of a listener port.
    public init(host: String = "127.0.0.1", port: @escaping @Sendable (_ gateway: ObjectReference, _ listenerPort: Int) async -> Int?) {
        self.socket = { gateway, listenerPort in await port(gateway, listenerPort).map { (host, $0) } }
    }
}

/// Where one probe goes: a listener of the route's Gateway, with the scheme and host name.
struct ProbeEndpoint: Sendable, Hashable {
    var scheme: String
    var hostname: String
    /// The address the proxy serves the Gateway at; `hostname` resolves to it.
    var address: String
    var port: Int
}
