import CLibGit2
import Foundation

/// Owns one `git_repository`. Not shared across threads (libgit2 `docs/threading.md`): each
/// operation opens its own handle, uses it, and lets `deinit` free it.
final class GitRepository {
    let handle: OpaquePointer
    let path: String

    private init(handle: OpaquePointer, path: String) {
        self.handle = handle
        self.path = path
    }

    deinit {
        git_repository_free(handle)
    }

    /// Opens an existing bare repository at `path`.
    static func openBare(at path: String) throws(GitError) -> GitRepository {
        _ = LibGit2.ready
        var handle: OpaquePointer?
        try check("git_repository_open_bare", reason: .cache) {
            git_repository_open_bare(&handle, path)
        }
        guard let handle else { throw GitError(.cache, "no repository at \(path)") }
        return GitRepository(handle: handle, path: path)
    }

    /// Creates an empty bare repository at `path`.
    static func initBare(at path: String) throws(GitError) -> GitRepository {
        _ = LibGit2.ready
        var handle: OpaquePointer?
        try check("git_repository_init", reason: .cache) {
            git_repository_init(&handle, path, 1)
        }
        guard let handle else { throw GitError(.cache, "could not create a repository at \(path)") }
        return GitRepository(handle: handle, path: path)
    }
}

// MARK: - Object ids

extension git_oid {
    /// The 40-character hexadecimal form.
    var hex: String {
        var copy = self
        var buffer = [CChar](repeating: 0, count: Int(GIT_OID_HEXSZ) + 1)
        git_oid_tostr(&buffer, buffer.count, &copy)
        return String(decoding: buffer.prefix(Int(GIT_OID_HEXSZ)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    init?(hex: String) {
        var oid = git_oid()
        guard hex.utf8.count == Int(GIT_OID_HEXSZ), git_oid_fromstr(&oid, hex) == 0 else {
            return nil
        }
        self = oid
    }
}
