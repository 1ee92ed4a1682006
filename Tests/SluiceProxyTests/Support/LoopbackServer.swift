import NIOCore
import NIOPosix

/// A listening socket on 127.0.0.1 at a free port, each accepted connection set up by `initializer`.
func bindLoopbackServer(
    _ initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
) async throws -> any Channel {
    try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer(initializer)
        .bind(host: "127.0.0.1", port: 0).get()
}
