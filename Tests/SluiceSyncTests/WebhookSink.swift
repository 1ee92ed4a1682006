import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A real HTTP server on a loopback port that answers 200 to every POST and keeps each request's
/// path, headers and body: the receiving end of the drift webhook.
final class WebhookSink: Sendable {
    struct Request: Sendable {
        var path: String
        var headers: [(String, String)]
        var body: String
    }

    /// A reference to the requests, for the handlers of every connection (Mutex itself cannot be copied).
    private final class Store: Sendable {
        let requests = Mutex<[Request]>([])
    }

    private let received = Store()
    private let channel: any Channel
    let port: Int

    init() async throws {
        let received = received
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    try child.pipeline.syncOperations.addHandler(Handler { request in received.requests.withLock { $0.append(request) } })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    var url: String { "http://127.0.0.1:\(port)/hooks/drift" }

    var requests: [Request] { received.requests.withLock { $0 } }

    func stop() async {
        try? await channel.close()
    }

    private final class Handler: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let onRequest: @Sendable (Request) -> Void
        // Only touched on the channel's event loop.
        private let state = Mutex<(head: HTTPRequestHead?, body: String)>((nil, ""))

        init(onRequest: @escaping @Sendable (Request) -> Void) {
            self.onRequest = onRequest
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                state.withLock { $0 = (head, "") }
            case .body(let buffer):
                state.withLock { $0.body += String(buffer: buffer) }
            case .end:
                let (head, body) = state.withLock { $0 }
                if let head {
                    onRequest(Request(path: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: body))
                }
                var headers = HTTPHeaders()
                headers.add(name: "Content-Length", value: "0")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
