import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import SluiceModel

/// The data plane: one listening socket per Gateway address and listener port, serving the current
/// RouteTable.
/// `install` swaps tables atomically: a request reads the table once, when its head arrives, so a
/// reload never fails a request in flight.
public actor ProxyServer {
    public nonisolated let configuration: ProxyConfiguration
    /// Per-backend counters, kept across reloads.
    public nonisolated let stats: ProxyStats
    private let group: MultiThreadedEventLoopGroup
    /// The table requests are routed by now (internal for tests that watch a table go).
    nonisolated let tables: TableBox
    private let pools: [ObjectIdentifier: NIOLoopBound<UpstreamPool>]
    private var listeners: [ListenerSocket: (channel: any Channel, isTLS: Bool)] = [:]
    private var tlsContexts: [TLSCertificate: NIOSSLContext] = [:]
    /// Set by `shutdown`: no socket is bound on event loops that are stopping.
    private var stopped = false

    private init(configuration: ProxyConfiguration, group: MultiThreadedEventLoopGroup, pools: [ObjectIdentifier: NIOLoopBound<UpstreamPool>], stats: ProxyStats) throws {
        self.configuration = configuration
        self.group = group
        self.pools = pools
        self.stats = stats
        var none: [TLSCertificate: NIOSSLContext] = [:]
        self.tables = TableBox(try InstalledTable(table: RouteTable(), stats: stats, contexts: &none))
    }

    /// Starts the event loops; no socket is bound until a table with listeners is installed.
    public static func start(configuration: ProxyConfiguration = ProxyConfiguration()) async throws -> ProxyServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.threads))
        var pools: [ObjectIdentifier: NIOLoopBound<UpstreamPool>] = [:]
        for loop in group.makeIterator() {
            let upstream = configuration.upstream
            pools[ObjectIdentifier(loop)] = try await loop.submit {
                NIOLoopBound(
                    UpstreamPool(eventLoop: loop, connectTimeout: upstream.connectTimeout, maxIdlePerEndpoint: upstream.maxIdlePerEndpoint),
                    eventLoop: loop)
            }.get()
        }
        return try ProxyServer(configuration: configuration, group: group, pools: pools, stats: ProxyStats())
    }

    /// The socket port serving a Gateway listener port at the shared address (the listener port
    /// plus the offset), once bound.
    public func boundPort(listenerPort: Int) -> Int? {
        listeners[ListenerSocket(port: listenerPort)]?.channel.localAddress?.port
    }

    /// Where a listener port of a Gateway (`namespace/name`) is served, once bound: its own
    /// address, or the bind address it shares.
    public func boundEndpoint(gateway: String, listenerPort: Int) -> (host: String, port: Int)? {
        let table = tables.current.table
        let serving = table.sockets.keys.sorted().filter { socket in
            socket.port == listenerPort && table.sockets[socket]?.listeners.contains { $0.gateways.contains(gateway) } == true
        }
        for socket in serving {
            guard let port = listeners[socket]?.channel.localAddress?.port else { continue }
            return (socket.address ?? Self.reachable(configuration.bindHost), port)
        }
        return nil
    }

    /// An address a client on this machine reaches `bindHost` at (loopback for a wildcard).
    static func reachable(_ bindHost: String) -> String {
        switch bindHost {
        case "0.0.0.0": "127.0.0.1"
        case "::": "::1"
        default: bindHost
        }
    }

    /// Serves `table` from now on: binds sockets it adds, closes sockets it drops. A socket that
    /// cannot be bound is left out, and returned with why; the next install tries it again.
    /// After `shutdown` nothing is bound: it throws.
    public func install(_ table: RouteTable) async throws -> [ListenerSocket: BindFailure] {
        var contexts = tlsContexts
        let installed = try InstalledTable(table: table, stats: stats, contexts: &contexts)
        // Contexts of certificates no longer used are dropped.
        let used = Set(table.sockets.values.flatMap { $0.listeners.compactMap(\.certificate) })
        tlsContexts = contexts.filter { used.contains($0.key) }
        tables.replace(with: installed)
        for (socket, listener) in listeners where table.sockets[socket]?.isTLS != listener.isTLS {
            listeners[socket] = nil
            try? await listener.channel.close()
        }
        var failures: [ListenerSocket: BindFailure] = [:]
        for (socket, portTable) in table.sockets.sorted(by: { $0.key < $1.key }) where listeners[socket] == nil {
            // Checked before each bind: `shutdown` may run while a bind is awaited.
            guard !stopped else { throw ChannelError.ioOnClosedChannel }
            do {
                let channel = try await bind(socket, isTLS: portTable.isTLS)
                listeners[socket] = (channel, portTable.isTLS)
            } catch {
                failures[socket] = Self.bindFailure(error, host: socket.address ?? configuration.bindHost, port: socket.port + configuration.portOffset)
            }
        }
        return failures
    }

    static func bindFailure(_ error: any Error, host: String, port: Int) -> BindFailure {
        let code = (error as? IOError)?.errnoCode
        let endpoint = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        return BindFailure(
            message: "cannot listen on \(endpoint): \(code.map { String(cString: strerror($0)) } ?? "\(error)")",
            addressNotAvailable: code == EADDRNOTAVAIL)
    }

    /// Compiles and installs each snapshot from `source`, handing the statuses to `statuses`, until
    /// the source ends. A snapshot that fails to install leaves the last good table serving. The
    /// compiler places Gateways as the configuration says unless one is given.
    public func run(
        source: some ProxyConfigurationSource, compiler: RouteCompiler? = nil,
        statuses: @Sendable ([ObjectReference: JSONValue]) async -> Void = { _ in }
    ) async {
        let compiler = compiler ?? RouteCompiler(addressing: configuration.addressing)
        for await input in source.snapshots() {
            let output = compiler.compile(input)
            let failures: [ListenerSocket: BindFailure]
            do {
                failures = try await install(output.table)
            } catch {
                continue
            }
            await statuses(output.marking(unbound: failures).statuses)
        }
    }

    /// Closes every socket and stops the event loops.
    public func shutdown() async throws {
        stopped = true
        for (_, listener) in listeners { try? await listener.channel.close() }
        listeners = [:]
        for (_, pool) in pools {
            try? await pool.eventLoop.submit { pool.value.closeAll() }.get()
        }
        try await group.shutdownGracefully()
    }

    private func bind(_ socket: ListenerSocket, isTLS: Bool) async throws -> any Channel {
        let tables = self.tables
        let pools = self.pools
        let limits = configuration.limits
        let http2 = configuration.http2
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let pool = pools[ObjectIdentifier(channel.eventLoop)]?.value else {
                        throw ChannelError.inappropriateOperationForState
                    }
                    let http = HTTPPipeline(tables: tables, pool: pool, socket: socket, limits: limits, http2: http2)
                    if isTLS {
                        try http.addTLS(to: channel)
                    } else {
                        try http.addCleartext(to: channel)
                    }
                }
            }
            .bind(host: socket.address ?? configuration.bindHost, port: socket.port + configuration.portOffset)
            .get()
    }
}

/// The handlers of one downstream connection.
struct HTTPPipeline {
    let tables: TableBox
    let pool: UpstreamPool
    let socket: ListenerSocket
    let limits: ProxyConfiguration.Limits
    var http2 = ProxyConfiguration.HTTP2()
    /// The server name the TLS client asked for (normalized as a Host is), if it named one.
    var tlsServerName: String?

    /// HTTP/1.1 on the connection.
    func add(to pipeline: ChannelPipeline.SynchronousOperations) throws {
        let deadline = HeaderReadDeadline(timeout: limits.headerReadTimeout)
        // Requests are read (RequestParser), pipelined and refused by ProxyHandler itself, what the
        // outbound header validator checked is checked where it can fail (WireText), and responses
        // are written as bytes (HTTP1Writer): no NIO codec handler on the connection.
        try pipeline.addHandler(
            ProxyHandler(
                tables: tables, pool: pool, socket: socket, limits: limits, tlsServerName: tlsServerName,
                headerDeadline: deadline))
    }

    /// TLS first: the ClientHello's server name picks the listener's certificate, then ALPN the protocol.
    func addTLS(to channel: any Channel) throws {
        let tables = self.tables
        let socket = self.socket
        let sni = SNIHandler { result in
            let serverName: String?
            switch result {
            case .hostname(let name): serverName = name
            case .fallback: serverName = nil
            }
            guard let context = tables.current.tlsContext(socket: socket, serverName: serverName) else {
                return channel.eventLoop.makeFailedFuture(ChannelError.inappropriateOperationForState)
            }
            var negotiated = self
            negotiated.tlsServerName = serverName.map { RouteTable.normalize(host: $0) }
            return channel.eventLoop.makeCompletedFuture {
                let pipeline = channel.pipeline.syncOperations
                try pipeline.addHandler(NIOSSLServerHandler(context: context))
                try negotiated.addNegotiated(to: pipeline)
            }
        }
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(sni))
    }
}
