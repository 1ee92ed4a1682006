import Foundation

/// The file tree of one commit (or one directory on disk) under an optional sub-path, read
/// straight from the object database. Paths are relative to the sub-path, `/`-separated, and
/// sorted bytewise as Git orders them.
public struct Snapshot: Sendable, Equatable {
    /// One entry of the tree. File modes and symlinks are kept as data: nothing is written to disk.
    public enum Entry: Sendable, Equatable {
        /// A regular file; `executable` is Git mode 100755.
        case file(Data, executable: Bool)
        /// A symbolic link (mode 120000) and the target path it names, unresolved.
        case symlink(target: String)
        /// A submodule (gitlink, mode 160000) pinned at a commit that is not in this repository.
        case submodule(commit: String)

        /// The file's bytes, or nil for a symlink or submodule.
        public var data: Data? {
            if case .file(let data, _) = self { return data }
            return nil
        }

        /// The Git file mode, as `git ls-tree` prints it.
        public var mode: String {
            switch self {
            case .file(_, let executable): executable ? "100755" : "100644"
            case .symlink: "120000"
            case .submodule: "160000"
            }
        }
    }

    /// The commit this snapshot was read from; nil for a directory on disk.
    public var commit: CommitInfo?
    /// The sub-path of the repository this snapshot is rooted at ("" for the root).
    public var path: String
    /// The entries, keyed by path relative to `path`.
    public var entries: [String: Entry]

    public init(commit: CommitInfo?, path: String, entries: [String: Entry]) {
        self.commit = commit
        self.path = path
        self.entries = entries
    }

    /// Every path, in Git's bytewise order.
    public var paths: [String] {
        entries.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// The bytes of the regular file at `path`, or nil when there is none.
    public func file(_ path: String) -> Data? {
        entries[path]?.data
    }
}

/// What an event or a status line says about a commit.
public struct CommitInfo: Sendable, Equatable, Codable {
    /// The full hexadecimal commit id.
    public var id: String
    public var authorName: String
    public var authorEmail: String
    /// The author time.
    public var time: Date
    /// The first line of the message.
    public var subject: String
    /// The whole message.
    public var message: String

    public init(
        id: String, authorName: String, authorEmail: String, time: Date, subject: String,
        message: String
    ) {
        self.id = id
        self.authorName = authorName
        self.authorEmail = authorEmail
        self.time = time
        self.subject = subject
        self.message = message
    }

    /// The first 12 characters of the id, as tools print it.
    public var shortID: String { String(id.prefix(12)) }
}
