import NIOCore
import NIOHTTP1
import NIOPosix

/// Keep-alive HTTP/1.1 connections to upstream endpoints (and HTTP/2 streams to h2c ones),
/// owned by one event loop. Downstream connections on that loop borrow from it, so no lock is
/// taken and bytes never change threads.
final class UpstreamPool {
    let eventLoop: any EventLoop
    let connectTimeout: TimeAmount
    let maxIdlePerEndpoint: Int
    private var idle: [Endpoint: IdleList] = [:]
    private var lastList: IdleList?
    /// A fast generator for weighted picks (random per request, as Envoy does).
    var random: SplitMix64
    /// Flushes made once the loop has handled every event it woke for.
    let flushes: DeferredFlushes
    /// Connections to endpoints spoken to over HTTP/2 (their streams are never idle here).
    private let h2c: H2CUpstreams

    init(eventLoop: any EventLoop, connectTimeout: TimeAmount, maxIdlePerEndpoint: Int) {
        self.eventLoop = eventLoop
        self.connectTimeout = connectTimeout
        self.maxIdlePerEndpoint = maxIdlePerEndpoint
        self.random = SplitMix64(seed: UInt64.random(in: .min ... .max))
        self.flushes = DeferredFlushes(eventLoop: eventLoop)
        self.h2c = H2CUpstreams(eventLoop: eventLoop, connectTimeout: connectTimeout)
    }

    /// An idle connection to `endpoint`, if one is open: the common case, answered without a future.
    func takeIdle(_ endpoint: Endpoint) -> UpstreamConnection? {
        // The list is a class edited in place: a copy taken out and written back would copy (and
        // retain and release) every pooled connection, and editing it through the dictionary's
        // subscript allocates that accessor's coroutine frame, on every request.
        let list = idleList(for: endpoint)
        while let connection = list.connections.popLast() {
            if connection.isUsable { return connection }
        }
        return nil
    }

    /// An idle connection to `endpoint`, or a new one.
    func acquire(_ endpoint: Endpoint) -> EventLoopFuture<UpstreamConnection> {
        if let connection = takeIdle(endpoint) { return eventLoop.assumeIsolated().makeSucceededFuture(connection) }
        return connect(endpoint)
    }

    /// A new connection to `endpoint` (when `takeIdle` had none); for an h2c endpoint, a new stream.
    func connect(_ endpoint: Endpoint) -> EventLoopFuture<UpstreamConnection> {
        let channel: EventLoopFuture<any Channel>
        if endpoint.wireProtocol == .h2c {
            channel = h2c.openStream(to: endpoint)
        } else {
            channel = ClientBootstrap(group: eventLoop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connectTimeout(connectTimeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        // Requests are written as bytes (HTTP1Writer), checked before (WireText);
                        // responses are read by UpstreamHandler itself: one handler, no codec hops.
                        try channel.pipeline.syncOperations.addHandler(UpstreamHandler())
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port)
        }
        return channel.assumeIsolated().flatMapThrowing { channel in
            let handler = try channel.pipeline.syncOperations.handler(type: UpstreamHandler.self)
            return UpstreamConnection(channel: channel, handler: handler, idleList: self.idleList(for: endpoint))
        }.nonisolated()
    }

    /// Returns a connection after a complete exchange that left it open.
    func release(_ connection: UpstreamConnection) {
        guard connection.isUsable else { return }
        // A response that ended while its client was slow leaves the connection paused.
        connection.setReading(true)
        let list = connection.idleList
        guard list.connections.count < maxIdlePerEndpoint else {
            connection.channel.close(promise: nil)
            return
        }
        connection.handler.delegate = nil
        list.connections.append(connection)
    }

    /// The idle connections to `endpoint`. Most requests go where the one before went: the list
    /// used last is compared first, sparing a hash of the endpoint.
    private func idleList(for endpoint: Endpoint) -> IdleList {
        if let last = lastList, last.endpoint == endpoint { return last }
        let list: IdleList
        if let existing = idle[endpoint] {
            list = existing
        } else {
            list = IdleList(endpoint: endpoint)
            idle[endpoint] = list
        }
        lastList = list
        return list
    }

    /// Closes every idle connection (shutdown).
    func closeAll() {
        // The lists stay: connections out on loan hold theirs and come back to it.
        for (_, list) in idle {
            for connection in list.connections { connection.channel.close(promise: nil) }
            list.connections.removeAll()
        }
        h2c.closeAll()
    }
}

/// The idle connections to one endpoint, most recently released last.
final class IdleList {
    let endpoint: Endpoint
    var connections: [UpstreamConnection] = []

    init(endpoint: Endpoint) {
        self.endpoint = endpoint
    }
}

/// One upstream connection; `handler` passes response parts to whoever borrowed it.
final class UpstreamConnection {
    let channel: any Channel
    /// Reads the answers; told the method of every request written, so it frames them (HEAD has no body).
    let handler: UpstreamHandler
    /// Where the connection goes when released.
    let idleList: IdleList

    init(channel: any Channel, handler: UpstreamHandler, idleList: IdleList) {
        self.channel = channel
        self.handler = handler
        self.idleList = idleList
    }

    /// Open and trusted with another request. (The handler hears of a close in the same call
    /// that makes the channel inactive, before any other code of ours runs: asking the channel
    /// too cost a call through the existential and a touch of its object on every request.)
    var isUsable: Bool { !handler.closed }

    /// Reading was paused (`setReading(false)`) and not resumed yet.
    private(set) var readingPaused = false

    /// Reads from the upstream (or stops reading): backpressure from a client that takes the
    /// bytes slower than the upstream sends them.
    func setReading(_ reading: Bool) {
        guard reading == readingPaused else { return }
        readingPaused = !reading
        try? channel.syncOptions?.setOption(.autoRead, value: reading)
    }

    /// Writes request bytes from the upstream handler's place in the pipeline: what a write on
    /// the channel does, without entering at the pipeline's tail (a few calls and retains less).
    func write(_ bytes: ByteBuffer) {
        guard let context = handler.context else { return }
        context.write(NIOAny(bytes), promise: nil)
    }

    /// What to flush the writes through (the handler's context while it is in the pipeline).
    var flushTarget: any ChannelOutboundInvoker { handler.context ?? channel }

    /// Writes a whole request given as parts (a mirror's copy) as one buffer, and flushes it.
    func send(_ parts: [HTTPClientRequestPart]) {
        var buffer = channel.allocator.buffer(capacity: 512)
        var chunked = false
        for part in parts {
            switch part {
            case .head(var head):
                let framing = HTTP1Writer.requestFraming(method: head.method, headers: &head.headers)
                chunked = framing.chunked
                HTTP1Writer.writeRequestHead(
                    method: head.method, uri: head.uri, headers: head.headers, framing: framing, into: &buffer)
                handler.expectResponse(to: head.method)
            case .body(let body):
                guard case .byteBuffer(let bytes) = body else { continue }
                HTTP1Writer.writeBody(bytes, chunked: chunked, into: &buffer) { pending, slice in
                    channel.write(pending, promise: nil)
                    channel.write(slice, promise: nil)
                    pending = channel.allocator.buffer(capacity: 64)
                }
            case .end(let trailers):
                HTTP1Writer.writeEnd(chunked: chunked, trailers: trailers, into: &buffer)
            }
        }
        channel.writeAndFlush(buffer, promise: nil)
    }
}

/// Receives what an upstream connection answers.
protocol UpstreamDelegate: AnyObject {
    func upstreamReceived(_ part: UpstreamResponsePart)
    func upstreamFailed(_ error: any Error)
    /// A batch of reads ended: time to flush what was written downstream.
    func upstreamReadComplete()
    /// The upstream connection's send buffer filled up (or drained again).
    func upstreamWritabilityChanged(_ isWritable: Bool)
}

/// The only handler of an upstream pipeline: reads the responses (`UpstreamResponseParser`) and
/// passes their parts to the current delegate.
final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    /// Held strongly, and cleared by the borrower whenever it gives the connection back or up (the
    /// response's end, `abandonUpstream`, a failure): a weak reference gave every `ProxyHandler`
    /// a side table, which sends each retain and release of it down the runtime's slow path.
    var delegate: (any UpstreamDelegate)? {
        didSet { delegateChanged = true }
    }
    /// Set when `delegate` is set: `channelRead` loads the delegate once per read and looks again
    /// only then.
    private var delegateChanged = false
    private(set) var closed = false
    /// Set while the handler is in its pipeline (`UpstreamConnection.write` enters there).
    private(set) var context: ChannelHandlerContext?
    private var parser = UpstreamResponseParser()
    /// Bytes of a part not received whole yet.
    private var unread: ByteBuffer?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// A request with this method was written: its response comes next. After a 101 to an
    /// `upgrade` request the connection's bytes are the tunnel's, handed over as they come.
    func expectResponse(to method: HTTPMethod, upgrade: Bool = false) {
        parser.expectResponse(to: method, upgrade: upgrade)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if var earlier = unread {
            unread = nil
            earlier.writeBuffer(&bytes)
            bytes = earlier
        }
        // Loaded once per read (each load is a retain and a release), and again only if a part
        // changed it: a borrower that gives the connection up while handling a part (a 502 for
        // its head) may be serving its next request on another connection by the next part, which
        // must not reach it.
        var delegate = self.delegate
        delegateChanged = false
        do {
            while let part = try parser.next(&bytes) {
                if delegateChanged {
                    delegate = self.delegate
                    delegateChanged = false
                }
                guard case .end = part else {
                    delegate?.upstreamReceived(part)
                    continue
                }
                if bytes.readableBytes > 0 {
                    // More bytes than the response: no request was written for them, so the
                    // connection cannot be trusted with another one.
                    closed = true
                    delegate?.upstreamReceived(part)
                    context.close(promise: nil)
                    return
                }
                delegate?.upstreamReceived(part)
                break
            }
        } catch {
            failed(context: context, error: error)
            return
        }
        if bytes.readableBytes > 0 { unread = bytes }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        delegate?.upstreamReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        delegate?.upstreamWritabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        if let end = parser.inputClosed() {
            delegate?.upstreamReceived(end)
            delegate?.upstreamReadComplete()
        }
        if let delegate {
            self.delegate = nil
            delegate.upstreamFailed(ChannelError.ioOnClosedChannel)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failed(context: context, error: error)
    }

    private func failed(context: ChannelHandlerContext, error: any Error) {
        closed = true
        if let delegate {
            self.delegate = nil
            delegate.upstreamFailed(error)
        }
        context.close(promise: nil)
    }
}

/// Flushes of the writes one turn of an event loop made, done together once the loop has handled
/// every event it woke for (NIO runs tasks after the I/O events of its turn). A peer then gets the
/// turn's requests (or responses) as a burst rather than one by one as they are made: fewer
/// wake-ups of a peer that would sleep between them, which the writer pays for in the kernel.
final class DeferredFlushes {
    private let eventLoop: any EventLoop
    /// Channels, or a handler's context (its flush starts there rather than at the pipeline's tail).
    private var targets: [any ChannelOutboundInvoker] = []
    /// The array the last turn's flushes were made from, kept for the next turn's targets: taking
    /// `targets` out by copy left it shared, and emptying it then allocated a new one every turn.
    private var flushing: [any ChannelOutboundInvoker] = []
    private var scheduled = false

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Flushes `target` at the end of this turn.
    func flush(_ target: any ChannelOutboundInvoker) {
        targets.append(target)
        guard !scheduled else { return }
        scheduled = true
        eventLoop.assumeIsolated().execute { [self] in
            scheduled = false
            // Flushes made while these run (a write completing) go to `targets` and the next task.
            swap(&targets, &flushing)
            for index in flushing.indices { flushing[index].flush() }
            flushing.removeAll(keepingCapacity: true)
        }
    }
}

/// SplitMix64: a small, fast generator; weighted picks need speed, not secrecy.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
