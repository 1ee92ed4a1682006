import NIOCore

/// How the proxy listens and forwards. Defaults suit the embedded default (loopback).
public struct ProxyConfiguration: Sendable {
    /// Address every listener binds, but those of Gateways with an address of their own.
    public var bindHost: String = "127.0.0.1"
    /// Addresses handed out one per Gateway that names none in `spec.addresses`
    /// (`--gateway-address-pool`); empty: such Gateways share `bindHost`.
    public var addressPool: [String] = []
    /// Listener port P binds P + offset (`--listener-port-offset`), so port 80 needs no privileges.
    public var portOffset: Int = 0
    /// Event-loop threads (`--proxy-threads`).
    public var threads: Int = 1
    public var limits = Limits()
    public var upstream = Upstream()
    /// HTTP/2 downstream (h2 over TLS, h2c with prior knowledge).
    public var http2 = HTTP2()

    public init(
        bindHost: String = "127.0.0.1", addressPool: [String] = [], portOffset: Int = 0, threads: Int = 1, limits: Limits = Limits(),
        upstream: Upstream = Upstream()
    ) {
        self.bindHost = bindHost
        self.addressPool = addressPool
        self.portOffset = portOffset
        self.threads = threads
        self.limits = limits
        self.upstream = upstream
    }

    /// Where the route compiler places Gateways: the pool, and the bind address for status (none
    /// for a wildcard: it is no one address a client could use).
    public var addressing: RouteCompiler.Addressing {
        let wildcard = bindHost == "0.0.0.0" || bindHost == "::"
        return RouteCompiler.Addressing(sharedAddress: wildcard ? nil : bindHost, pool: addressPool)
    }

    /// Request limits; beyond them the proxy answers itself and closes.
    public struct Limits: Sendable {
        /// Request target longer than this: 414.
        public var maxRequestTargetBytes: Int = 8192
        /// Header names and values together longer than this: 431.
        public var maxHeaderBytes: Int = 32768
        /// A connection with no request in flight for this long is closed.
        public var idleTimeout: TimeAmount = .seconds(60)
        /// A request head not received whole this long after the connection opened (first
        /// request) or after its first byte (later requests): 408 and close (nginx's
        /// `client_header_timeout`).
        public var headerReadTimeout: TimeAmount = .seconds(10)
        /// A request body larger than this is not copied to the rule's mirrors: the request goes
        /// to its backend, no mirror gets it, and each mirror's `mirrorsSkipped` counts it.
        public var maxMirroredBodyBytes: Int = 8 << 20

        public init(
            maxRequestTargetBytes: Int = 8192, maxHeaderBytes: Int = 32768, idleTimeout: TimeAmount = .seconds(60),
            headerReadTimeout: TimeAmount = .seconds(10), maxMirroredBodyBytes: Int = 8 << 20
        ) {
            self.maxRequestTargetBytes = maxRequestTargetBytes
            self.maxHeaderBytes = maxHeaderBytes
            self.idleTimeout = idleTimeout
            self.headerReadTimeout = headerReadTimeout
            self.maxMirroredBodyBytes = maxMirroredBodyBytes
        }
    }

    /// Upstream connections.
    public struct Upstream: Sendable {
        public var connectTimeout: TimeAmount = .seconds(5)
        /// Idle keep-alive connections kept per endpoint and event loop.
        public var maxIdlePerEndpoint: Int = 128

        public init(connectTimeout: TimeAmount = .seconds(5), maxIdlePerEndpoint: Int = 128) {
            self.connectTimeout = connectTimeout
            self.maxIdlePerEndpoint = maxIdlePerEndpoint
        }
    }
}
