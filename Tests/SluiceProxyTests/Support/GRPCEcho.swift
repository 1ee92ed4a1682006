import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import NIOConcurrencyHelpers

/// The conformance suite's gRPC echo service by name (`gateway_api_conformance.echo_basic.grpcecho.GrpcEcho`,
/// methods Echo, EchoTwo, EchoThree), served by grpc-swift over h2c. Messages are opaque bytes:
/// the reply is JSON naming the backend, the method and the request's string metadata, so tests
/// see where a call went and what reached the backend.
enum GRPCEcho {
    static let service = "gateway_api_conformance.echo_basic.grpcecho.GrpcEcho"

    static func method(_ name: String) -> MethodDescriptor {
        MethodDescriptor(fullyQualifiedService: service, method: name)
    }

    struct Reply: Decodable, Sendable {
        var backend: String
        var method: String
        var metadata: [String: String]
        var bodyLength: Int
    }
}

/// A message as its bytes.
struct RawBytesCoder: MessageSerializer, MessageDeserializer {
    typealias Message = [UInt8]

    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }

    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
        serializedMessageBytes.withUnsafeBytes { Array($0) }
    }
}

/// A gRPC server on 127.0.0.1 (a free port) answering the echo service's methods (EchoThree only
/// when `servesEchoThree`: else `UNIMPLEMENTED`, as its router answers any unknown method), and
/// `Refuse`, which fails with `PERMISSION_DENIED`, and `Chat`, a bidirectional stream answering
/// each message as it comes.
final class GRPCEchoServer: Sendable {
    let name: String
    let port: Int
    private let server: GRPCServer<HTTP2ServerTransport.Posix>
    private let serving: Task<Void, any Error>
    private let answered: NIOLockedValueBox<[String]>

    private init(
        name: String, port: Int, server: GRPCServer<HTTP2ServerTransport.Posix>, serving: Task<Void, any Error>, answered: NIOLockedValueBox<[String]>
    ) {
        self.name = name
        self.port = port
        self.server = server
        self.serving = serving
        self.answered = answered
    }

    /// The methods of the calls answered so far, in order.
    var calls: [String] { answered.withLockedValue { $0 } }

    static func start(name: String, servesEchoThree: Bool = false) async throws -> GRPCEchoServer {
        let answered = NIOLockedValueBox<[String]>([])
        let server = GRPCServer(
            transport: .http2NIOPosix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext),
            services: [EchoService(
                name: name, methods: ["Echo", "EchoTwo", "Chat", "Refuse"] + (servesEchoThree ? ["EchoThree"] : []),
                answered: { method in answered.withLockedValue { $0.append(method) } })])
        let serving = Task { try await server.serve() }
        guard let address = try await server.listeningAddress?.ipv4 else {
            serving.cancel()
            throw CancellationError()
        }
        return GRPCEchoServer(name: name, port: address.port, server: server, serving: serving, answered: answered)
    }

    func stop() async {
        server.beginGracefulShutdown()
        serving.cancel()
        _ = await serving.result
    }

    private struct EchoService: RegistrableRPCService {
        var name: String
        var methods: [String]
        var answered: @Sendable (String) -> Void

        func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
            for method in methods {
                router.registerHandler(
                    forMethod: GRPCEcho.method(method), deserializer: RawBytesCoder(), serializer: RawBytesCoder()
                ) { [name, answered] request, _ in
                    answered(method)
                    if method == "Chat" {
                        // Each message answered as it arrives: the call lives as long as the client's side.
                        return StreamingServerResponse { writer in
                            for try await message in request.messages { try await writer.write(Array("\(name): ".utf8) + message) }
                            return [:]
                        }
                    }
                    if method == "Refuse" {
                        // Before any message: grpc-swift answers "trailers-only" (one HEADERS frame).
                        throw RPCError(code: .permissionDenied, message: "refused by \(name)")
                    }
                    var metadata: [String: String] = [:]
                    for (key, value) in request.metadata {
                        if case .string(let text) = value { metadata[key] = metadata[key].map { "\($0),\(text)" } ?? text }
                    }
                    var bodyLength = 0
                    for try await message in request.messages { bodyLength += message.count }
                    let reply: [String: Any] = ["backend": name, "method": method, "metadata": metadata, "bodyLength": bodyLength]
                    let bytes = try [UInt8](JSONSerialization.data(withJSONObject: reply))
                    return StreamingServerResponse(single: ServerResponse(message: bytes, trailingMetadata: ["echo-trailer": "\(name)"]))
                }
            }
        }
    }
}

/// One unary call through the proxy: `:authority` is `host`, the answer is the echo's reply and
/// the trailing metadata, or the call's error.
enum GRPCTestClient {
    struct Answer: Sendable {
        var reply: GRPCEcho.Reply
        var trailers: [String: String]
    }

    /// To the proxy's port, `:authority` (and with TLS, the server name) set to `host`: h2c with
    /// prior knowledge, or TLS (ALPN h2) verifying the listener's certificate against `trusting`.
    static func transport(port: Int, host: String, trusting caPEM: [UInt8]? = nil) throws -> HTTP2ClientTransport.Posix {
        var config = HTTP2ClientTransport.Posix.Config.defaults
        config.http2.authority = host
        config.backoff.initial = .milliseconds(10)
        let security: HTTP2ClientTransport.Posix.TransportSecurity = caPEM.map { ca in
            .tls { tls in tls.trustRoots = .certificates([.bytes(ca, format: .pem)]) }
        } ?? .plaintext
        return try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: security, config: config)
    }

    static func call(
        port: Int, host: String, method: String, metadata fields: [String: String] = [:], body: [UInt8] = Array("hello".utf8),
        trusting caPEM: [UInt8]? = nil
    ) async throws -> Answer {
        var metadata = Metadata()
        for (key, value) in fields { metadata.addString(value, forKey: key) }
        return try await withGRPCClient(transport: try transport(port: port, host: host, trusting: caPEM)) { client in
            try await client.unary(
                request: ClientRequest(message: body, metadata: metadata), descriptor: GRPCEcho.method(method),
                serializer: RawBytesCoder(), deserializer: RawBytesCoder(), options: .defaults
            ) { response in
                let bytes = try response.message
                var trailers: [String: String] = [:]
                for (key, value) in response.trailingMetadata {
                    if case .string(let text) = value { trailers[key] = text }
                }
                return Answer(reply: try JSONDecoder().decode(GRPCEcho.Reply.self, from: Data(bytes)), trailers: trailers)
            }
        }
    }

    /// A bidirectional `Chat`: each message is sent only once the answer to the one before came
    /// back, so a proxy that held either direction's messages back would stall it; `deadline`
    /// bounds the whole call. The answers, in order.
    static func chat(port: Int, host: String, messages: [String], deadline: Duration = .seconds(10)) async throws -> [String] {
        let (answers, answered) = AsyncStream.makeStream(of: Void.self)
        var options = CallOptions.defaults
        options.timeout = deadline
        return try await withGRPCClient(transport: try transport(port: port, host: host)) { client in
            try await client.bidirectionalStreaming(
                request: StreamingClientRequest(of: [UInt8].self) { writer in
                    var waiting = answers.makeAsyncIterator()
                    for message in messages {
                        try await writer.write(Array(message.utf8))
                        guard await waiting.next() != nil else { return }
                    }
                },
                descriptor: GRPCEcho.method("Chat"), serializer: RawBytesCoder(), deserializer: RawBytesCoder(), options: options
            ) { response in
                var received: [String] = []
                for try await message in response.messages {
                    received.append(String(decoding: message, as: UTF8.self))
                    answered.yield()
                }
                answered.finish()
                return received
            }
        }
    }

    /// The status code a call ends with (nil when it succeeds).
    static func code(
        port: Int, host: String, method: String, metadata: [String: String] = [:], trusting caPEM: [UInt8]? = nil
    ) async throws -> RPCError.Code? {
        try await error(port: port, host: host, method: method, metadata: metadata, trusting: caPEM)?.code
    }

    /// The error a call ends with (nil when it succeeds).
    static func error(
        port: Int, host: String, method: String, metadata: [String: String] = [:], trusting caPEM: [UInt8]? = nil
    ) async throws -> RPCError? {
        do {
            _ = try await call(port: port, host: host, method: method, metadata: metadata, trusting: caPEM)
            return nil
        } catch let error as RPCError {
            return error
        }
    }
}
