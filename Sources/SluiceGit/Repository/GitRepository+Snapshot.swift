import CLibGit2
import Foundation

extension GitRepository {
    /// Reads the tree of `commitID` under `subPath` straight from the object database.
    func snapshot(commit: CommitInfo, subPath: String, url: String) throws(GitError) -> Snapshot {
        guard var oid = git_oid(hex: commit.id) else {
            throw GitError(.invalidInput, "'\(commit.id)' is not a full commit id", url: url)
        }
        var commitObject: OpaquePointer?
        try check("git_commit_lookup", url: url) { git_commit_lookup(&commitObject, handle, &oid) }
        defer { git_commit_free(commitObject) }
        var rootTree: OpaquePointer?
        try check("git_commit_tree", url: url) { git_commit_tree(&rootTree, commitObject) }
        defer { git_tree_free(rootTree) }

        guard !subPath.split(separator: "/").contains("..") else {
            throw GitError(.invalidInput, "path '\(subPath)' climbs out of the repository with '..'", url: url)
        }
        let path = Self.normalize(subPath)
        var tree = rootTree
        var subTree: OpaquePointer?
        defer { if let subTree { git_tree_free(subTree) } }
        if !path.isEmpty {
            var entry: OpaquePointer?
            let code = git_tree_entry_bypath(&entry, rootTree, path)
            if code == GIT_ENOTFOUND.rawValue {
                throw GitError(
                    .pathNotFound, "path '\(path)' does not exist in commit \(commit.shortID)", url: url)
            }
            if code < 0 { throw GitError.fromLastError("git_tree_entry_bypath", code: code, url: url) }
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_TREE else {
                throw GitError(
                    .pathNotFound, "path '\(path)' in commit \(commit.shortID) is not a directory", url: url)
            }
            try check("git_tree_lookup", url: url) { git_tree_lookup(&subTree, handle, git_tree_entry_id(entry)) }
            tree = subTree
        }

        var odb: OpaquePointer?
        try check("git_repository_odb", url: url) { git_repository_odb(&odb, handle) }
        defer { git_odb_free(odb) }
        var entries: [String: Snapshot.Entry] = [:]
        try collect(tree: tree, prefix: "", odb: odb, into: &entries, url: url)
        return Snapshot(commit: commit, path: path, entries: entries)
    }

    private func collect(
        tree: OpaquePointer?, prefix: String, odb: OpaquePointer?,
        into entries: inout [String: Snapshot.Entry], url: String
    ) throws(GitError) {
        let count = git_tree_entrycount(tree)
        for index in 0..<count {
            let entry = git_tree_entry_byindex(tree, index)
            let name = String(cString: git_tree_entry_name(entry))
            let path = prefix + name
            let mode = git_tree_entry_filemode(entry)
            switch mode {
            case GIT_FILEMODE_TREE:
                var subTree: OpaquePointer?
                try check("git_tree_lookup", url: url) { git_tree_lookup(&subTree, handle, git_tree_entry_id(entry)) }
                defer { git_tree_free(subTree) }
                try collect(tree: subTree, prefix: path + "/", odb: odb, into: &entries, url: url)
            case GIT_FILEMODE_BLOB, GIT_FILEMODE_BLOB_EXECUTABLE:
                let data = try readBlob(git_tree_entry_id(entry), odb: odb, path: path, url: url)
                entries[path] = .file(data, executable: mode == GIT_FILEMODE_BLOB_EXECUTABLE)
            case GIT_FILEMODE_LINK:
                let data = try readBlob(git_tree_entry_id(entry), odb: odb, path: path, url: url)
                entries[path] = .symlink(target: String(decoding: data, as: UTF8.self))
            case GIT_FILEMODE_COMMIT:
                entries[path] = .submodule(commit: git_tree_entry_id(entry).pointee.hex)
            default:
                throw GitError(.libgit2, "unknown file mode \(mode.rawValue) at '\(path)'", url: url)
            }
        }
    }

    /// Reads a blob's bytes from the object database, bypassing libgit2's object cache: each
    /// blob is read once per snapshot, so caching would only cost memory.
    private func readBlob(_ id: UnsafePointer<git_oid>?, odb: OpaquePointer?, path: String, url: String)
        throws(GitError) -> Data
    {
        var object: OpaquePointer?
        let code = git_odb_read(&object, odb, id)
        if code < 0 {
            var error = GitError.fromLastError("git_odb_read", code: code, url: url, reason: .cache)
            error.message = "cannot read '\(path)' from the cache: " + error.message
            throw error
        }
        defer { git_odb_object_free(object) }
        let size = git_odb_object_size(object)
        guard size > 0, let bytes = git_odb_object_data(object) else { return Data() }
        return Data(bytes: bytes, count: size)
    }

    /// `./a//b/` → `a/b`; "" and "." are the root.
    static func normalize(_ path: String) -> String {
        path.split(separator: "/").filter { $0 != "." && !$0.isEmpty }.joined(separator: "/")
    }
}
