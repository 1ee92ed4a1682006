import Foundation
import SluiceGit

/// What the renderer reads: a tree of files, directories and symlinks, with `/`-separated
/// paths relative to its root. A Git `Snapshot` and a directory on disk (`DiskTree`) are both one.
public protocol FileTree: Sendable {
    /// The entry at `path`, not following a symlink at its end; nil when there is none.
    func entry(at path: String) -> FileTreeEntry?
    /// The names of the regular files directly inside `directory`.
    func files(in directory: String) -> [String]
}

/// One entry of a `FileTree`.
public enum FileTreeEntry: Sendable {
    /// A regular file and its size; its bytes come from `contents`.
    case file(size: Int, contents: @Sendable () throws -> Data)
    case directory
    /// A symbolic link and its target, unresolved.
    case symlink(target: String)
    /// A submodule, device or anything else that is neither read nor followed.
    case other
}

extension Snapshot: FileTree {
    /// The entry at `path`; directories are those some file's path runs through.
    public func entry(at path: String) -> FileTreeEntry? {
        if path.isEmpty { return .directory }
        switch entries[path] {
        case .file(let data, _)?: return .file(size: data.count, contents: { data })
        case .symlink(let target)?: return .symlink(target: target)
        case .submodule?: return .other
        case nil:
            let prefix = path + "/"
            return entries.keys.contains { $0.hasPrefix(prefix) } ? .directory : nil
        }
    }

    /// The regular files directly inside `directory`, sorted.
    public func files(in directory: String) -> [String] {
        let prefix = directory.isEmpty ? "" : directory + "/"
        return entries.compactMap { path, entry -> String? in
            guard entry.data != nil, path.hasPrefix(prefix), !path.dropFirst(prefix.count).contains("/") else { return nil }
            return String(path.dropFirst(prefix.count))
        }.sorted()
    }
}

/// The input tree as the renderer reads it: paths normalised, symlinks followed only while
/// they stay inside the tree, files bounded in size.
struct TreeReader: Sendable {
    let tree: any FileTree
    let maxFileBytes: Int
    /// A snapshot's directories, found once: a snapshot lists only files.
    let snapshotDirectories: Set<String>?

    init(_ tree: any FileTree, maxFileBytes: Int) {
        self.tree = tree
        self.maxFileBytes = maxFileBytes
        if let snapshot = tree as? Snapshot {
            var directories: Set<String> = [""]
            for path in snapshot.entries.keys {
                var components = path.split(separator: "/")
                // A path of no components ("", "/") names no directory; Git never makes one, but a
                // snapshot built by hand can (FuzzKustomization's first find).
                guard !components.isEmpty else { continue }
                components.removeLast()
                while !components.isEmpty {
                    if !directories.insert(components.joined(separator: "/")).inserted { break }
                    components.removeLast()
                }
            }
            snapshotDirectories = directories
        } else {
            snapshotDirectories = nil
        }
    }

    /// `relative` joined to `base` and normalised; nil when `..` climbs out of the tree.
    static func join(_ base: String, _ relative: String) -> String? {
        var parts: [Substring] = relative.hasPrefix("/") ? [] : base.split(separator: "/")
        for component in relative.split(separator: "/") {
            switch component {
            case ".", "": continue
            case "..":
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            default: parts.append(component)
            }
        }
        return parts.joined(separator: "/")
    }

    /// The path with every symlink along it replaced by its target.
    func resolve(_ path: String) throws(RenderError) -> String {
        var resolved: [Substring] = []
        var remaining = Array(path.split(separator: "/").reversed())
        var hops = 0
        while let component = remaining.popLast() {
            let candidate = (resolved + [component]).joined(separator: "/")
            if case .symlink(let target) = tree.entry(at: candidate) {
                hops += 1
                guard hops <= 16 else { throw RenderError("too many levels of symbolic links", file: path) }
                guard !target.hasPrefix("/"),
                    let joined = Self.join(resolved.joined(separator: "/"), target)
                else {
                    throw RenderError("symlink '\(candidate)' -> '\(target)' points outside the repository", file: candidate)
                }
                resolved = []
                remaining += joined.split(separator: "/").reversed()
                continue
            }
            resolved.append(component)
        }
        return resolved.joined(separator: "/")
    }

    func isDirectory(_ path: String) -> Bool {
        if let snapshotDirectories { return snapshotDirectories.contains(path) }
        if case .directory? = tree.entry(at: path) { return true }
        return false
    }

    func isFile(_ path: String) -> Bool {
        if case .file? = tree.entry(at: path) { return true }
        return false
    }

    /// The bytes of a file, checked against the size limit before they are read.
    func data(_ path: String) throws(RenderError) -> Data {
        guard case .file(let size, let contents)? = tree.entry(at: path) else {
            throw RenderError("file not found: '\(path)'", file: path)
        }
        guard size <= maxFileBytes else {
            throw RenderError("file is \(size) bytes, over the limit of \(maxFileBytes)", file: path)
        }
        do {
            return try contents()
        } catch {
            throw RenderError("cannot read file: \(error)", file: path)
        }
    }

    func text(_ path: String) throws(RenderError) -> String {
        String(decoding: try data(path), as: UTF8.self)
    }

    /// The files directly inside `directory`, as paths from the root, sorted.
    func files(in directory: String) -> [String] {
        tree.files(in: directory).map { directory.isEmpty ? $0 : directory + "/" + $0 }
    }
}
