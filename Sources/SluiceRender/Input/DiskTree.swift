import Foundation

/// A directory on disk read as a `FileTree`, lazily: only what the kustomizations name is
/// looked at, so the root can be a whole repository. Symlinks are reported, not followed; the
/// renderer follows them itself and refuses those that leave the root.
public struct DiskTree: FileTree {
    /// The absolute, standardised root.
    public let root: String

    /// A tree rooted at `root` (made absolute and standardised).
    public init(root: String) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
    }

    /// The tree a kustomization directory on disk is rendered in: the enclosing Git work tree
    /// when there is one (so `../base` works as it does in the repository), else the directory.
    /// Returns the tree and the directory's path inside it.
    public static func enclosing(_ directory: String) -> (tree: DiskTree, path: String) {
        let absolute = URL(fileURLWithPath: directory).standardizedFileURL.path
        var candidate = absolute
        while true {
            if FileManager.default.fileExists(atPath: candidate + "/.git") {
                let relative = absolute == candidate ? "" : String(absolute.dropFirst(candidate.count + (candidate == "/" ? 0 : 1)))
                return (DiskTree(root: candidate), relative)
            }
            let parent = (candidate as NSString).deletingLastPathComponent
            if parent == candidate || parent.isEmpty { break }
            candidate = parent
        }
        return (DiskTree(root: absolute), "")
    }

    private func absolute(_ path: String) -> String { path.isEmpty ? root : root + "/" + path }

    /// The entry at `path`, read with lstat: a symlink is reported, not followed.
    public func entry(at path: String) -> FileTreeEntry? {
        var info = stat()
        let full = absolute(path)
        guard lstat(full, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            return .directory
        case S_IFLNK:
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: full)) ?? ""
            return .symlink(target: target)
        case S_IFREG:
            return .file(size: Int(info.st_size), contents: {
                guard let data = FileManager.default.contents(atPath: full) else {
                    throw CocoaError(.fileReadUnknown)
                }
                return data
            })
        default:
            return .other
        }
    }

    /// The regular files directly inside `directory`, sorted.
    public func files(in directory: String) -> [String] {
        let full = absolute(directory)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: full)) ?? []
        return names.filter { name in
            var info = stat()
            return lstat(full + "/" + name, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
        }.sorted()
    }
}
