import Foundation
import SluiceGit

extension Snapshot {
    /// Reads a directory on disk into the same form as a Git snapshot (commit nil): regular
    /// files with their bytes, symlinks as their unresolved targets. `.git` is skipped.
    public static func read(directory: String) throws(RenderError) -> Snapshot {
        let root = URL(fileURLWithPath: directory).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RenderError("must build at directory: not a valid directory: '\(directory)'")
        }
        var entries: [String: Entry] = [:]
        var pending = [""]
        while let relative = pending.popLast() {
            let absolute = relative.isEmpty ? root : root + "/" + relative
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: absolute)
            } catch {
                throw RenderError("cannot read directory '\(relative.isEmpty ? "." : relative)': \(error.localizedDescription)")
            }
            for name in names where name != ".git" {
                let path = relative.isEmpty ? name : relative + "/" + name
                let full = root + "/" + path
                var info = stat()
                guard lstat(full, &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFLNK:
                    let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: full)) ?? ""
                    entries[path] = .symlink(target: target)
                case S_IFDIR:
                    pending.append(path)
                case S_IFREG:
                    guard let data = FileManager.default.contents(atPath: full) else {
                        throw RenderError("cannot read file", file: path)
                    }
                    entries[path] = .file(data, executable: info.st_mode & 0o111 != 0)
                default:
                    continue
                }
            }
        }
        return Snapshot(commit: nil, path: "", entries: entries)
    }
}
