import Foundation

/// A Git repository made with the git CLI: a work tree to commit in, and a bare repository
/// beside it that servers export and commits are pushed to.
public final class TestRepository: Sendable {
    public let directory: TemporaryDirectory
    /// The work tree commits are made in.
    public let work: URL
    /// The bare repository servers export (`<root>/repo.git`).
    public let bare: URL
    /// The directory holding `bare`, for `git daemon --base-path` and `GIT_PROJECT_ROOT`.
    public var root: URL { bare.deletingLastPathComponent() }

    public init() throws {
        directory = try TemporaryDirectory("sluice-repo")
        work = directory.path("work")
        bare = directory.path("served/repo.git")
        try FileManager.default.createDirectory(at: bare.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Shell.run(["git", "init", "-q", "-b", "main", work.path])
        try Shell.run(["git", "init", "-q", "--bare", "-b", "main", bare.path])
        try git("remote", "add", "origin", bare.path)
    }

    @discardableResult
    public func git(_ arguments: String...) throws -> String {
        try Shell.text(["git"] + arguments, in: work)
    }

    public func write(_ path: String, _ contents: String, executable: Bool = false) throws {
        let url = work.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: url)
        if executable {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        }
    }

    public func symlink(_ path: String, to target: String) throws {
        let url = work.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target)
    }

    /// Commits everything in the work tree and pushes all branches and tags; returns the id.
    @discardableResult
    public func commit(_ message: String) throws -> String {
        try git("add", "-A")
        try git("commit", "-q", "--allow-empty", "-m", message)
        try push()
        return try git("rev-parse", "HEAD")
    }

    public func push() throws {
        try git("push", "-q", "--force", "--all", "origin")
        try git("push", "-q", "--force", "--tags", "origin")
    }

    /// The bytes `git show REV:PATH` prints: what the snapshot must hold.
    public func show(_ revision: String, _ path: String) throws -> Data {
        try Shell.run(["git", "show", "\(revision):\(path)"], in: work)
    }

    /// `git ls-tree -r` of a revision under a path: mode and path of every entry.
    public func listTree(_ revision: String, path: String = "") throws -> [String: String] {
        let treeish = path.isEmpty ? revision : "\(revision):\(path)"
        let output = try git("ls-tree", "-r", "--full-tree", treeish)
        var entries: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            entries[String(parts[1])] = String(parts[0].split(separator: " ")[0])
        }
        return entries
    }
}
