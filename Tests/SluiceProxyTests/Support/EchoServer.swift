import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix

@testable import SluiceProxy

/// What the echo backend saw, as the conformance suite's echo server reports it.
struct EchoedRequest: Codable, Sendable {
    var path: String
    var host: String
    var method: String
    var namespace: String
    var pod: String
    /// Headers in the order received, each as `[name, value]`.
    var headers: [[String]]
    /// `HTTP/1.1`, or `HTTP/2` for a request on an h2c stream.
    var version: String = "HTTP/1.1"
    /// The bytes of the request's body.
    var bodyLength = 0

    /// A header's values in order, joined by commas; names compared case-insensitively.
    func header(_ name: String) -> String? {
        let values = headers.filter { $0.first?.lowercased() == name.lowercased() }.map { $0.last ?? "" }
        return values.isEmpty ? nil : values.joined(separator: ",")
    }
}

/// A real HTTP/1.1 and h2c (prior knowledge, as the suite's echo server on its h2c port) upstream
/// on 127.0.0.1 that answers every request with a JSON description of it.
/// `?delay=<duration>` delays the answer; `X-Echo-Set-Header: name:value,...` sets response headers.
final class EchoServer: Sendable {
    let pod: String
    let namespace: String
    let port: Int
    private let channel: any Channel
    private let received = NIOLockedValueBox<[EchoedRequest]>([])
    private let accepted: NIOLockedValueBox<Int>
    /// The connections open now.
    private let open: NIOLockedValueBox<[ObjectIdentifier: any Channel]>

    private init(
        pod: String, namespace: String, channel: any Channel, accepted: NIOLockedValueBox<Int>, open: NIOLockedValueBox<[ObjectIdentifier: any Channel]>
    ) {
        self.accepted = accepted
        self.open = open
        self.pod = pod
        self.namespace = namespace
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

    /// Every request answered so far.
    var requests: [EchoedRequest] { received.withLockedValue { $0 } }
    /// Connections accepted so far.
    var connections: Int { accepted.withLockedValue { $0 } }
    /// Connections open now.
    var openConnections: Int { open.withLockedValue { $0.count } }

    /// Closes every connection open now, as a backend restarting does.
    func dropConnections() async {
        for connection in open.withLockedValue({ Array($0.values) }) { try? await connection.close() }
    }

    /// `maxConcurrentStreams`: the SETTINGS_MAX_CONCURRENT_STREAMS of its h2c side (NIO's default: 100).
    static func start(pod: String, namespace: String, maxConcurrentStreams: Int = 100) async throws -> EchoServer {
        let box = NIOLockedValueBox<EchoServer?>(nil)
        let accepted = NIOLockedValueBox(0)
        let open = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
        let channel = try await bindLoopbackServer { channel in
            accepted.withLockedValue { $0 += 1 }
            open.withLockedValue { $0[ObjectIdentifier(channel)] = channel }
            channel.closeFuture.whenComplete { _ in open.withLockedValue { $0[ObjectIdentifier(channel)] = nil } }
            let record: @Sendable (EchoedRequest) -> Void = { request in
                box.withLockedValue { $0?.received.withLockedValue { $0.append(request) } }
            }
            return channel.eventLoop.makeCompletedFuture {
                let detector = CleartextProtocolDetector(timeout: .seconds(60)) { detected, context in
                    let pipeline = context.pipeline.syncOperations
                    switch detected {
                    case .http1:
                        try pipeline.configureHTTPServerPipeline()
                        try pipeline.addHandler(EchoHandler(pod: pod, namespace: namespace, record: record))
                    case .http2:
                        var settings = NIOHTTP2Handler.ConnectionConfiguration()
                        settings.initialSettings = [HTTP2Setting(parameter: .maxConcurrentStreams, value: maxConcurrentStreams)]
                        _ = try pipeline.configureHTTP2Pipeline(mode: .server, connectionConfiguration: settings, streamConfiguration: .init()) { stream in
                            stream.eventLoop.makeCompletedFuture {
                                try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                                try stream.pipeline.syncOperations.addHandler(EchoHandler(pod: pod, namespace: namespace, record: record))
                            }
                        }
                    }
                }
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(detector))
            }
        }
        let server = EchoServer(pod: pod, namespace: namespace, channel: channel, accepted: accepted, open: open)
        box.withLockedValue { $0 = server }
        return server
    }

    func stop() async {
        try? await channel.close()
    }
}

private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let pod: String
    let namespace: String
    let record: @Sendable (EchoedRequest) -> Void
    private var head: HTTPRequestHead?
    private var bodyLength = 0

    init(pod: String, namespace: String, record: @escaping @Sendable (EchoedRequest) -> Void) {
        self.pod = pod
        self.namespace = namespace
        self.record = record
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            bodyLength = 0
        case .body(let body): bodyLength += body.readableBytes
        case .end:
            guard let head else { return }
            let headers = head.headers.filter { $0.name.lowercased() != "host" }.map { [$0.name, $0.value] }
            let echoed = EchoedRequest(
                path: head.uri, host: head.headers.first(name: "host") ?? "", method: head.method.rawValue,
                namespace: namespace, pod: pod, headers: headers, version: head.version.major == 2 ? "HTTP/2" : "HTTP/1.1", bodyLength: bodyLength)
            record(echoed)
            let body = (try? JSONEncoder().encode(echoed)) ?? Data()
            var responseHeaders = HTTPHeaders([("content-type", "application/json"), ("content-length", "\(body.count)")])
            if let set = head.headers.first(name: "x-echo-set-header") {
                for pair in set.split(separator: ",") {
                    let parts = pair.split(separator: ":", maxSplits: 1)
                    if parts.count == 2 {
                        responseHeaders.add(name: String(parts[0]).trimmingCharacters(in: .whitespaces), value: String(parts[1]).trimmingCharacters(in: .whitespaces))
                    }
                }
            }
            var delay = TimeAmount.zero
            if let query = head.uri.split(separator: "?", maxSplits: 1).dropFirst().first {
                for pair in query.split(separator: "&") where pair.hasPrefix("delay=") {
                    if let duration = GatewayDuration.parse(String(pair.dropFirst(6))) {
                        delay = .nanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
                    }
                }
            }
            let keepAlive = head.isKeepAlive
            let respond = { [context] in
                context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: responseHeaders))), promise: nil)
                context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
                let done = context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
                if !keepAlive { done.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
            }
            self.head = nil
            if delay == .zero {
                respond()
            } else {
                context.eventLoop.assumeIsolated().scheduleTask(in: delay) { respond() }
            }
        }
    }
}
