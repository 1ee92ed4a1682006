import Foundation

extension Shell {
    /// `outcome(_:in:)` on a thread of its own, for async tests: waiting for a child process must
    /// not hold one of the few cooperative threads that an in-process server (an EmbeddedCluster
    /// behind its API server) needs in order to answer that very process.
    public static func outcomeOnThread(_ command: [String], in directory: URL? = nil) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try outcome(command, in: directory) }) }.start()
        }
    }
}
