import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL

/// An HTTP/2 client connection over NIO (h2c with prior knowledge, or TLS with ALPN `h2` and a
/// server name): each `send` opens a stream on the one connection, so requests sent side by side
/// are concurrent streams.
final class HTTP2TestConnection: Sendable {
    let channel: any Channel
    private let multiplexer: NIOHTTP2Handler.StreamMultiplexer
    private let scheme: HTTP2FramePayloadToHTTP1ClientCodec.HTTPProtocol

    private init(channel: any Channel, multiplexer: NIOHTTP2Handler.StreamMultiplexer, scheme: HTTP2FramePayloadToHTTP1ClientCodec.HTTPProtocol) {
        self.channel = channel
        self.multiplexer = multiplexer
        self.scheme = scheme
    }

    /// `tls`: the server name to send and the CA certificate (PEM) to trust; nil: h2c.
    static func connect(port: Int, address: String = "127.0.0.1", tls: (serverName: String, caPEM: [UInt8])? = nil) async throws -> HTTP2TestConnection {
        let sslContext: NIOSSLContext?
        if let tls {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(tls.caPEM))
            configuration.applicationProtocols = ["h2"]
            sslContext = try NIOSSLContext(configuration: configuration)
        } else {
            sslContext = nil
        }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext, let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: tls.serverName))
                    }
                    _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                        mode: .client, connectionConfiguration: .init(), streamConfiguration: .init()
                    ) { stream in stream.eventLoop.makeSucceededVoidFuture() }
                }
            }
            .connect(host: address, port: port).get()
        let multiplexer = try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: NIOHTTP2Handler.self).syncMultiplexer()
        }.get()
        return HTTP2TestConnection(channel: channel, multiplexer: multiplexer, scheme: tls == nil ? .http : .https)
    }

    /// Sends one request on a new stream and waits for its response. Headers go as given (names
    /// lower-cased, as HTTP/2 requires); `host` becomes `:authority`.
    func send(
        _ path: String, host: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], body: String? = nil
    ) async throws -> TestResponse {
        var head = HTTPRequestHead(version: .http2, method: method, uri: path)
        head.headers.add(name: "host", value: host)
        for (name, value) in headers { head.headers.add(name: name.lowercased(), value: value) }
        if let body { head.headers.add(name: "content-length", value: "\(body.utf8.count)") }
        let request = head
        let scheme = self.scheme
        let stream = try await multiplexer.createStreamChannel { stream in
            stream.eventLoop.makeCompletedFuture {
                try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: scheme))
                try stream.pipeline.syncOperations.addHandler(ResponseCollector())
            }
        }.get()
        return try await stream.eventLoop.flatSubmit {
            let promise = stream.eventLoop.makePromise(of: TestResponse.self)
            do {
                let collector = try stream.pipeline.syncOperations.handler(type: ResponseCollector.self)
                collector.waiting.append(promise)
            } catch {
                promise.fail(error)
            }
            stream.write(HTTPClientRequestPart.head(request), promise: nil)
            if let body { stream.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: body))), promise: nil) }
            stream.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            return promise.futureResult
        }.get()
    }

    func close() async { try? await channel.close() }
}

/// How a test reaches the proxy: the same cases can run over HTTP/1.1 and over HTTP/2.
enum Transport: Sendable, CustomStringConvertible {
    case http1
    /// HTTP/1.1, every request on this one kept-alive connection.
    case keptAlive(TestConnection)
    /// HTTP/2 without TLS, with prior knowledge.
    case h2c

    var description: String {
        switch self {
        case .http1: "HTTP/1.1"
        case .keptAlive: "HTTP/1.1 on one connection"
        case .h2c: "h2c"
        }
    }

    /// A one-off request on a new connection (`keptAlive`: on that connection).
    func get(
        port: Int, address: String = "127.0.0.1", _ path: String, host: String, method: HTTPMethod = .GET, headers: [(String, String)] = []
    ) async throws -> TestResponse {
        switch self {
        case .http1:
            return try await TestConnection.get(port: port, address: address, path, host: host, method: method, headers: headers)
        case .keptAlive(let connection):
            return try await connection.send(path, host: host, method: method, headers: headers)
        case .h2c:
            let connection = try await HTTP2TestConnection.connect(port: port, address: address)
            defer { Task { await connection.close() } }
            return try await connection.send(path, host: host, method: method, headers: headers)
        }
    }
}
