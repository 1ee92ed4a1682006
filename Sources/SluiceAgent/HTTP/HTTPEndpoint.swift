import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceKube

/// A small HTTP/1.1 server for the agent's own endpoints (health, metrics, webhooks, demo
/// backends): each request is read whole (up to `maxBodySize`) and answered by `handler`.
/// Traffic for users goes through the proxy core, not through this.
public struct HTTPEndpoint: Sendable {
    /// A request as the handler sees it.
    public struct Request: Sendable {
        public var method: HTTPMethod
        public var uri: String
        public var headers: HTTPHeaders
        public var body: [UInt8]

        /// The path, without the query.
        public var path: Substring { uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
    }

    /// An answer; `contentType` defaults to plain text.
    public struct Response: Sendable {
        public var status: HTTPResponseStatus
        public var headers: HTTPHeaders
        public var body: [UInt8]

        public init(status: HTTPResponseStatus = .ok, contentType: String = "text/plain; charset=utf-8", body: String) {
            self.init(status: status, contentType: contentType, bytes: Array(body.utf8))
        }

        public init(status: HTTPResponseStatus = .ok, contentType: String, bytes: [UInt8], headers: HTTPHeaders = [:]) {
            self.status = status
            self.headers = headers
            self.headers.replaceOrAdd(name: "content-type", value: contentType)
            self.body = bytes
        }
    }

    public typealias Handler = @Sendable (Request) async -> Response

    public let name: String
    public let host: String
    public let port: Int
    public let maxBodySize: Int
    private let handler: Handler

    public init(name: String, host: String, port: Int, maxBodySize: Int = 1 << 20, handler: @escaping Handler) {
        self.name = name
        self.host = host
        self.port = port
        self.maxBodySize = maxBodySize
        self.handler = handler
    }

    /// A bound listener; `run()` serves it until cancelled.
    public struct Listening: Sendable {
        public let port: Int
        fileprivate let listener: ConnectionListener<HTTPServerRequestPart, HTTPServerResponsePart>
        fileprivate let endpoint: HTTPEndpoint

        /// Serves connections until the task is cancelled, then closes the listener.
        public func run() async throws {
            let endpoint = endpoint
            await listener.serve { connection in await endpoint.serve(connection) }
        }
    }

    /// A listener that could not be bound, named as the user configured it.
    public struct BindError: Error, CustomStringConvertible {
        public var name: String
        public var address: String
        public var underlying: any Error
        public var description: String { "\(name): cannot listen on \(address): \(underlying)" }
    }

    /// Binds `host:port` (port 0 picks a free one).
    public func bind(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> Listening {
        let bootstrap = ServerBootstrap(group: group).serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        let listener: ConnectionListener<HTTPServerRequestPart, HTTPServerResponsePart>
        do {
            listener = try await ConnectionListener.bind(bootstrap, host: host, port: port) { child in
                try child.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: child)
            }
        } catch {
            throw BindError(name: name, address: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)", underlying: error)
        }
        return Listening(port: listener.port ?? port, listener: listener, endpoint: self)
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            var tooLarge = false
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body = []
                    tooLarge = false
                case .body(var buffer):
                    if body.count + buffer.readableBytes > maxBodySize {
                        tooLarge = true
                    } else {
                        body += buffer.readBytes(length: buffer.readableBytes) ?? []
                    }
                case .end:
                    guard let requestHead = head else { continue }
                    let response = tooLarge
                        ? Response(status: .payloadTooLarge, body: "request body over \(maxBodySize) bytes\n")
                        : await handler(Request(method: requestHead.method, uri: requestHead.uri, headers: requestHead.headers, body: body))
                    var headers = response.headers
                    headers.replaceOrAdd(name: "content-length", value: String(response.body.count))
                    let keepAlive = requestHead.isKeepAlive && !tooLarge
                    headers.replaceOrAdd(name: "connection", value: keepAlive ? "keep-alive" : "close")
                    try await outbound.write(.head(HTTPResponseHead(version: requestHead.version, status: response.status, headers: headers)))
                    if requestHead.method != .HEAD { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body)))) }
                    try await outbound.write(.end(nil))
                    if !keepAlive { return }
                    head = nil
                }
            }
        }
    }
}
