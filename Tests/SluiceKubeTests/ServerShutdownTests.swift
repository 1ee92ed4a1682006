import Foundation
import SluiceTestSupport
import Testing

/// Stopping the API server while connections wait to be served.
@Suite struct ServerShutdownTests {
    /// A cancelled listener used to release the connections it had accepted but not yet handed
    /// out, and NIO traps on that: the whole process died. Each round queues 200 connections
    /// (none sends a byte) and stops the server at once.
    @Test func stopsWithConnectionsQueued() async throws {
        for _ in 0..<5 {
            let server = try await TestServer()
            let descriptors = (0..<200).compactMap { _ in connectLoopback(port: server.port) }
            #expect(descriptors.count == 200)
            await server.stop()
            #expect(connectLoopback(port: server.port).map { close($0) } == nil, "the listener is still open")
            for descriptor in descriptors { close(descriptor) }
        }
    }
}
