import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A real HTTP/1.1 backend on 127.0.0.1 that answers every request with its own name as the
/// body, with the status and after the delay the test sets (a broken or slow green).
final class Upstream: Sendable {
    struct Behaviour: Sendable {
        var status = 200
        var delay = Duration.zero
    }

    let name: String
    let port: Int
    private let channel: any Channel
    private let behaviour: Mutex<Behaviour>
    private let answered = Mutex(0)
    private let received = Mutex<[String]>([])

    private init(name: String, channel: any Channel, behaviour: Behaviour) {
        self.name = name
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.behaviour = Mutex(behaviour)
    }

    /// Requests answered so far.
    var requests: Int { answered.withLock { $0 } }
    /// The bodies of the requests answered so far (a webhook receiver's view).
    var bodies: [String] { received.withLock { $0 } }

    func set(_ behaviour: Behaviour) { self.behaviour.withLock { $0 = behaviour } }

    static func start(name: String, _ behaviour: Behaviour = Behaviour()) async throws -> Upstream {
        let box = Mutex<Upstream?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(name: name) { box.withLock { $0 } })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let upstream = Upstream(name: name, channel: channel, behaviour: behaviour)
        box.withLock { $0 = upstream }
        return upstream
    }

    func stop() async {
        try? await channel.close()
    }

    fileprivate func answer(body: String) -> Behaviour {
        answered.withLock { $0 += 1 }
        received.withLock { $0.append(body) }
        return behaviour.withLock { $0 }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let name: String
        let upstream: @Sendable () -> Upstream?

        init(name: String, upstream: @escaping @Sendable () -> Upstream?) {
            self.name = name
            self.upstream = upstream
        }

        private var requestBody = ""

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head:
                requestBody = ""
                return
            case .body(let buffer):
                requestBody += String(buffer: buffer)
                return
            case .end:
                break
            }
            let behaviour = upstream()?.answer(body: requestBody) ?? Behaviour()
            let body = context.channel.allocator.buffer(string: name)
            let head = HTTPResponseHead(
                version: .http1_1, status: HTTPResponseStatus(statusCode: behaviour.status),
                headers: ["content-length": "\(body.readableBytes)", "content-type": "text/plain"])
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let respond = {
                let context = loopBound.value
                context.write(self.wrapOutboundOut(.head(head)), promise: nil)
                context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
                context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            }
            if behaviour.delay > .zero {
                let nanoseconds = behaviour.delay.components.seconds * 1_000_000_000 + behaviour.delay.components.attoseconds / 1_000_000_000
                context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(nanoseconds)) { respond() }
            } else {
                respond()
            }
        }
    }
}

/// A keep-alive HTTP/1.1 client on one connection, enough to drive traffic through the proxy.
final class TestConnection: Sendable {
    private let channel: any Channel

    private init(channel: any Channel) { self.channel = channel }

    static func connect(port: Int) async throws -> TestConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector())
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return TestConnection(channel: channel)
    }

    /// Sends `GET path` with `host` and returns the status and body; one request at a time.
    func get(_ path: String, host: String) async throws -> (status: Int, body: String) {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "host", value: host)
        let channel = self.channel
        let request = head
        return try await channel.eventLoop.flatSubmit {
            let promise = channel.eventLoop.makePromise(of: (status: Int, body: String).self)
            do {
                try channel.pipeline.syncOperations.handler(type: ResponseCollector.self).waiting.append(promise)
            } catch {
                promise.fail(error)
            }
            channel.write(HTTPClientRequestPart.head(request), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            return promise.futureResult
        }.get()
    }

    func close() async { try? await channel.close() }
}

/// Completes the oldest waiting promise with each response.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    var waiting: [EventLoopPromise<(status: Int, body: String)>] = []
    private var status = 0
    private var body = ""

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            body = ""
        case .body(let buffer):
            body += String(buffer: buffer)
        case .end:
            if !waiting.isEmpty { waiting.removeFirst().succeed((status, body)) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        for promise in waiting { promise.fail(ChannelError.eof) }
        waiting = []
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        for promise in waiting { promise.fail(error) }
        waiting = []
        context.close(promise: nil)
    }
}
