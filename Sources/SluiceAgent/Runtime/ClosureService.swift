import ServiceLifecycle

/// One of the agent's long-running parts as a ServiceLifecycle service: it runs until the group
/// shuts down gracefully (SIGTERM, SIGINT), then its task is cancelled.
struct ClosureService: Service, CustomStringConvertible {
    let description: String
    let body: @Sendable () async throws -> Void

    init(_ name: String, _ body: @escaping @Sendable () async throws -> Void) {
        description = name
        self.body = body
    }

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await body()
            }
        } catch where Task.isShuttingDownGracefully || Task.isCancelled {
            // Stopping: whatever the body threw on its way out (a cancelled sleep, a closed
            // channel) is the shutdown itself, not a failure.
        }
    }
}
