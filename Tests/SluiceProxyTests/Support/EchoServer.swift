import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceProxy

/// What the echo backend saw, as the conformance suite's echo server reports it.
struct EchoedRequest: Codable, Sendable {
    var path: String
    var host: String
    var method: String
    var namespace: String
    var pod: String
    /// Headers in the order received, each as `[name, value]`.
    var headers: [[String]]

    /// A header's values in order, joined by commas; names compared case-insensitively.
    func header(_ name: String) -> String? {
        let values = headers.filter { $0.first?.lowercased() == name.lowercased() }.map { $0.last ?? "" }
        return values.isEmpty ? nil : values.joined(separator: ",")
    }
}

/// A real HTTP/1.1 upstream on 127.0.0.1 that answers every request with a JSON description of it.
/// `?delay=<duration>` delays the answer; `X-Echo-Set-Header: name:value,...` sets response headers.
final class EchoServer: Sendable {
    let pod: String
    let namespace: String
    let port: Int
    private let channel: any Channel
    private let received = NIOLockedValueBox<[EchoedRequest]>([])
    private let accepted: NIOLockedValueBox<Int>
    private let open: NIOLockedValueBox<Int>

    private init(pod: String, namespace: String, channel: any Channel, accepted: NIOLockedValueBox<Int>, open: NIOLockedValueBox<Int>) {
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
    var openConnections: Int { open.withLockedValue { $0 } }

    static func start(pod: String, namespace: String) async throws -> EchoServer {
        let box = NIOLockedValueBox<EchoServer?>(nil)
        let accepted = NIOLockedValueBox(0)
        let open = NIOLockedValueBox(0)
        let channel = try await bindLoopbackServer { channel in
            accepted.withLockedValue { $0 += 1 }
            open.withLockedValue { $0 += 1 }
            channel.closeFuture.whenComplete { _ in open.withLockedValue { $0 -= 1 } }
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                try channel.pipeline.syncOperations.addHandler(EchoHandler(pod: pod, namespace: namespace) { request in
                    box.withLockedValue { $0?.received.withLockedValue { $0.append(request) } }
                })
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

    init(pod: String, namespace: String, record: @escaping @Sendable (EchoedRequest) -> Void) {
        self.pod = pod
        self.namespace = namespace
        self.record = record
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            let headers = head.headers.filter { $0.name.lowercased() != "host" }.map { [$0.name, $0.value] }
            let echoed = EchoedRequest(
                path: head.uri, host: head.headers.first(name: "host") ?? "", method: head.method.rawValue,
                namespace: namespace, pod: pod, headers: headers)
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
