import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SluiceModel

/// The embedded cluster's REST API over HTTPS on a loopback address, with bearer-token
/// authentication, writing `<data-dir>/kubeconfig` for kubectl and `KubeCluster`.
///
/// HTTP/1.1 (NIOHTTP1) behind TLS (NIOSSL): kubectl and async-http-client both speak it, and a
/// watch is one chunked response per connection.
public struct APIServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// Where to append one `audit.k8s.io/v1` Event per request (kube-apiserver's
        /// `--audit-log-path`, level Metadata); nil: no audit log.
        public var auditLogPath: String?

        public init(host: String = "127.0.0.1", port: Int = 6443, auditLogPath: String? = nil) {
            self.host = host
            self.port = port
            self.auditLogPath = auditLogPath
        }

        /// Parses `HOST:PORT` (`127.0.0.1:6443`, `[::1]:6443`).
        public init?(listen: String) {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else { return nil }
            var host = String(listen[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            self.init(host: host, port: port)
        }
    }

    public let cluster: EmbeddedCluster
    public let credentials: ServerCredentials
    public let configuration: Configuration
    let logger: Logger

    public init(cluster: EmbeddedCluster, credentials: ServerCredentials, configuration: Configuration = Configuration(), logger: Logger = Logger(label: "sluice.apiserver")) {
        self.cluster = cluster
        self.credentials = credentials
        self.configuration = configuration
        self.logger = logger
    }

    /// A server that is listening: its address, and the task serving it.
    public struct Running: Sendable {
        public var port: Int
        public var url: String
        let listener: ConnectionListener<HTTPServerRequestPart, HTTPServerResponsePart>
    }

    /// Binds the listener (port 0 picks a free one) and writes `kubeconfig` into `dataDirectory`
    /// when given. Call `serve(_:)` to accept connections.
    public func bind(writingKubeconfigInto dataDirectory: URL? = nil) async throws -> Running {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(credentials.serverCertificatePEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(credentials.serverKeyPEM.utf8), format: .pem)))
        tls.applicationProtocols = ["http/1.1"]
        let sslContext = try NIOSSLContext(configuration: tls)
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        let listener = try await ConnectionListener.bind(bootstrap, host: configuration.host, port: configuration.port) { child in
            try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
            try child.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: child)
        }
        let port = listener.port ?? configuration.port
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        let url = "https://\(host):\(port)"
        if let dataDirectory {
            let file = dataDirectory.appendingPathComponent("kubeconfig")
            try Data(credentials.kubeconfig(server: url).utf8).write(to: file, options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        }
        return Running(port: port, url: url, listener: listener)
    }

    /// Accepts connections until the task is cancelled; one child task per connection.
    public func serve(_ running: Running) async throws {
        let router = APIRouter(cluster: cluster)
        let token = credentials.token
        let logger = logger
        let audit = try configuration.auditLogPath.map { try AuditLog(path: $0) }
        await running.listener.serve { connection in
            do {
                try await Self.handle(connection, router: router, token: token, audit: audit)
            } catch {
                logger.debug("connection ended: \(error)")
            }
        }
    }

    /// Authenticates `request` by its bearer token and routes it.
    private static func answer(_ request: APIRequest, authorization: String?, router: APIRouter, token: String) async -> APIResponse {
        guard authorization == "Bearer \(token)" else {
            return .json(401, ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure", "message": "Unauthorized", "reason": "Unauthorized", "code": 401])
        }
        return await router.respond(to: request)
    }

    /// One answer of `answer(method:target:headers:body:)`.
    public struct Answer: Sendable {
        public var status: Int
        public var contentType: String
        /// The whole body; empty for a watch, whose stream is closed at once.
        public var body: [UInt8]
        public var isWatch: Bool
    }

    /// Answers one request without a socket, as a connection does once NIOHTTP1 has read it —
    /// authentication, routing, the cluster: how the fuzz target drives the request handling.
    public func answer(method: String, target: String, headers: [(name: String, value: String)], body: [UInt8]) async -> Answer {
        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name }?.value }
        let request = APIRequest(method: method, target: target, contentType: header("content-type"), userAgent: header("user-agent"), body: body)
        let response = await Self.answer(request, authorization: header("authorization"), router: APIRouter(cluster: cluster), token: credentials.token)
        switch response {
        case .full(let status, let contentType, let bytes, _):
            return Answer(status: status, contentType: contentType, body: bytes, isWatch: false)
        case .stream:
            return Answer(status: 200, contentType: "application/json", body: [], isWatch: true)
        }
    }

    private static func handle(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, router: APIRouter, token: String,
        audit: AuditLog?
    ) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body.clear()
                case .body(var chunk):
                    body.writeBuffer(&chunk)
                case .end:
                    guard let requestHead = head else { continue }
                    head = nil
                    let response: APIResponse
                    let request = APIRequest(
                        method: requestHead.method.rawValue, target: requestHead.uri,
                        contentType: requestHead.headers["Content-Type"].first, userAgent: requestHead.headers["User-Agent"].first,
                        body: body.readBytes(length: body.readableBytes) ?? [])
                    response = await Self.answer(request, authorization: requestHead.headers["Authorization"].first, router: router, token: token)
                    if let audit {
                        let code: Int
                        switch response {
                        case .full(let status, _, _, _): code = status
                        case .stream: code = 200
                        }
                        await audit.record(method: request.method, target: requestHead.uri, query: request.query, userAgent: request.userAgent, code: code)
                    }
                    let keepAlive = requestHead.isKeepAlive
                    switch response {
                    case .full(let status, let contentType, let bytes, let warnings):
                        var headers = HTTPHeaders()
                        headers.add(name: "Content-Type", value: contentType)
                        headers.add(name: "Content-Length", value: String(bytes.count))
                        headers.add(name: "Cache-Control", value: "no-cache, private")
                        for warning in warnings { headers.add(name: "Warning", value: "299 - \(FieldError.goQuote(warning))") }
                        if !keepAlive { headers.add(name: "Connection", value: "close") }
                        try await outbound.write(.head(HTTPResponseHead(version: requestHead.version, status: .init(statusCode: status), headers: headers)))
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
                        try await outbound.write(.end(nil))
                    case .stream(let chunks):
                        var headers = HTTPHeaders()
                        headers.add(name: "Content-Type", value: "application/json")
                        headers.add(name: "Transfer-Encoding", value: "chunked")
                        headers.add(name: "Cache-Control", value: "no-cache, private")
                        try await outbound.write(.head(HTTPResponseHead(version: requestHead.version, status: .ok, headers: headers)))
                        for await chunk in chunks {
                            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk))))
                        }
                        try await outbound.write(.end(nil))
                    }
                    if !keepAlive { return }
                }
            }
        }
    }
}
