import Foundation
import SluiceGit

/// The input tree as the renderer reads it: paths normalised, directories known, symlinks
/// followed only while they stay inside the tree, files bounded in size.
struct FileTree: Sendable {
    let snapshot: Snapshot
    let directories: Set<String>
    let maxFileBytes: Int

    init(_ snapshot: Snapshot, maxFileBytes: Int) {
        self.snapshot = snapshot
        self.maxFileBytes = maxFileBytes
        var directories: Set<String> = [""]
        for path in snapshot.entries.keys {
            var components = path.split(separator: "/")
            components.removeLast()
            while !components.isEmpty {
                let directory = components.joined(separator: "/")
                if !directories.insert(directory).inserted { break }
                components.removeLast()
            }
        }
        self.directories = directories
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
            if case .symlink(let target) = snapshot.entries[candidate] {
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

    func isDirectory(_ path: String) -> Bool { directories.contains(path) }

    func isFile(_ path: String) -> Bool { snapshot.entries[path]?.data != nil }

    /// The text of a file, checked against the size limit.
    func text(_ path: String) throws(RenderError) -> String {
        guard let data = snapshot.entries[path]?.data else {
            throw RenderError("file not found: '\(path)'", file: path)
        }
        guard data.count <= maxFileBytes else {
            throw RenderError("file is \(data.count) bytes, over the limit of \(maxFileBytes)", file: path)
        }
        return String(decoding: data, as: UTF8.self)
    }

    func data(_ path: String) throws(RenderError) -> Data {
        guard let data = snapshot.entries[path]?.data else {
            throw RenderError("file not found: '\(path)'", file: path)
        }
        guard data.count <= maxFileBytes else {
            throw RenderError("file is \(data.count) bytes, over the limit of \(maxFileBytes)", file: path)
        }
        return data
    }

    /// The files directly inside `directory`, sorted.
    func files(in directory: String) -> [String] {
        let prefix = directory.isEmpty ? "" : directory + "/"
        return snapshot.entries.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }.sorted()
    }
}
