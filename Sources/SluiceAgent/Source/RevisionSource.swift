import NIOPosix
import SluiceGit

/// Where revisions come from: one remote and reference, fetched through the Git cache.
/// libgit2's calls block, so they run on NIO's thread pool, never on the cooperative pool.
public struct RevisionSource: Sendable {
    public let remote: GitRemote
    public let reference: GitReference
    public let cache: GitCache

    public init(remote: GitRemote, reference: GitReference, cache: GitCache) {
        self.remote = remote
        self.reference = reference
        self.cache = cache
    }

    /// Fetches and reads the whole tree of the reference's current commit.
    public func checkout(pool: NIOThreadPool = .singleton) async throws -> GitCache.Checkout {
        let cache = self.cache
        let remote = self.remote
        let reference = self.reference
        return try await pool.runIfActive {
            try cache.checkout(remote, reference: reference, path: "")
        }
    }
}
