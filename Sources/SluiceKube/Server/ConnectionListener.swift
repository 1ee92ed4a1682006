import NIOCore
import NIOPosix

/// A bound TCP listener that hands every accepted connection out as an `NIOAsyncChannel`, and
/// never drops one unserved.
///
/// NIO's own async `bind` passes connections through a stream that cancellation cuts short:
/// the connections accepted but not yet handed out are released, and NIO traps on an
/// `NIOAsyncChannel` released without `executeThenClose` (swift-nio#2637: an agent stopped
/// while connections arrived crashed). Here the hand-off is ours: a connection accepted after
/// the listener closed is closed at once, and `serve` hands out every queued one before it
/// returns.
public struct ConnectionListener<Inbound: Sendable, Outbound: Sendable>: Sendable {
    public typealias Connection = NIOAsyncChannel<Inbound, Outbound>

    /// The listening socket's channel.
    public let channel: any Channel
    private let connections: AsyncStream<Connection>

    /// Binds `host:port` with `bootstrap`; `wrap` sets up each accepted connection's pipeline on
    /// its event loop and wraps it.
    public static func bind(
        _ bootstrap: ServerBootstrap, host: String, port: Int,
        wrap: @escaping @Sendable (any Channel) throws -> Connection
    ) async throws -> ConnectionListener {
        let (connections, continuation) = AsyncStream.makeStream(of: Connection.self)
        let channel = try await bootstrap.childChannelInitializer { child in
            child.eventLoop.makeCompletedFuture {
                let connection = try wrap(child)
                if case .terminated = continuation.yield(connection) {
                    // The listener closed while this one was being set up: close it properly.
                    Task { try? await connection.executeThenClose { _, _ in } }
                }
            }
        }.bind(host: host, port: port).get()
        channel.closeFuture.whenComplete { _ in continuation.finish() }
        return ConnectionListener(channel: channel, connections: connections)
    }

    /// The bound port (the one picked when bound to port 0).
    public var port: Int? { channel.localAddress?.port }

    /// Hands every connection to `serve`, one child task each, until the calling task is
    /// cancelled; then closes the listener, and every connection with it.
    ///
    /// The loop over connections runs in a task of its own, so cancellation does not end it
    /// early: it ends once the closed listener's queued connections were all handed out, and
    /// the serving tasks, cancelled then, close theirs.
    public func serve(_ serve: @escaping @Sendable (Connection) async -> Void) async {
        let connections = connections
        let accepting = Task {
            await withDiscardingTaskGroup { group in
                for await connection in connections {
                    group.addTask { await serve(connection) }
                }
                group.cancelAll()
            }
        }
        let channel = channel
        await withTaskCancellationHandler {
            await accepting.value
        } onCancel: {
            channel.close(promise: nil)
        }
    }
}
