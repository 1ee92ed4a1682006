import SluiceModel

/// How the controller reaches the proxy core's listeners: a Gateway listener port to the socket
/// that serves it. The agent builds it from `ProxyServer.boundPort(listenerPort:)`; the proxy
/// binds one socket per listener port, so `gateway` only matters to agents with several proxies.
public struct ProbeTarget: Sendable {
    /// The address the proxy listens on (127.0.0.1 in the embedded default).
    public var host: String
    /// The socket port serving `listenerPort` of `gateway`, or nil when it is not bound.
    public var port: @Sendable (_ gateway: ObjectReference, _ listenerPort: Int) async -> Int?

    public init(host: String = "127.0.0.1", port: @escaping @Sendable (_ gateway: ObjectReference, _ listenerPort: Int) async -> Int?) {
        self.host = host
        self.port = port
    }
}

/// Where one probe goes: a listener of the route's Gateway, with the scheme and host name.
struct ProbeEndpoint: Sendable, Hashable {
    var scheme: String
    var hostname: String
    var port: Int
}
