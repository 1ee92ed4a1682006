import Foundation
import SluiceModel

#if canImport(Glibc)
import Glibc
#endif

/// Where EmbeddedCluster keeps its objects: one JSON file per object under
/// `<data-dir>/objects/<group>/<resource>/<namespace>/<name>.json`.
///
/// A write goes to a temporary file beside the target, is flushed with fsync, renamed over the
/// target and the directory is flushed, so a crash leaves either the old or the new object,
/// never part of one; a write is acknowledged only after all of that. Temporary files left by a
/// crash are ignored and removed at the next start.
struct ObjectStore {
    struct Key: Hashable, Comparable {
        var group: String
        var resource: String
        var namespace: String?
        var name: String

        static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.group, lhs.resource, lhs.namespace ?? "", lhs.name) < (rhs.group, rhs.resource, rhs.namespace ?? "", rhs.name)
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let root: URL
    private var knownDirectories: Set<String> = []

    init(directory: URL) throws {
        root = directory.appendingPathComponent("objects", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    private func directory(for key: Key) -> URL {
        root.appendingPathComponent(key.group.isEmpty ? "core" : key.group, isDirectory: true)
            .appendingPathComponent(key.resource, isDirectory: true)
            .appendingPathComponent(key.namespace ?? "_cluster", isDirectory: true)
    }

    /// Every stored object, with its key.
    mutating func loadAll() throws -> [(Key, JSONValue)] {
        var found: [(Key, JSONValue)] = []
        let manager = FileManager.default
        for group in try manager.contentsOfDirectory(atPath: root.path) {
            let groupURL = root.appendingPathComponent(group)
            for resource in (try? manager.contentsOfDirectory(atPath: groupURL.path)) ?? [] {
                let resourceURL = groupURL.appendingPathComponent(resource)
                for namespace in (try? manager.contentsOfDirectory(atPath: resourceURL.path)) ?? [] {
                    let namespaceURL = resourceURL.appendingPathComponent(namespace)
                    for file in (try? manager.contentsOfDirectory(atPath: namespaceURL.path)) ?? [] {
                        let fileURL = namespaceURL.appendingPathComponent(file)
                        guard file.hasSuffix(".json") else {
                            if file.contains(".tmp") { try? manager.removeItem(at: fileURL) }
                            continue
                        }
                        let data = try Data(contentsOf: fileURL)
                        let value = try JSONParser.parse([UInt8](data))
                        let key = Key(
                            group: group == "core" ? "" : group, resource: resource,
                            namespace: namespace == "_cluster" ? nil : namespace, name: String(file.dropLast(5)))
                        found.append((key, value))
                    }
                }
            }
        }
        return found
    }

    /// Writes `value` durably (see the type's comment).
    mutating func write(_ key: Key, _ value: JSONValue) throws {
        let directory = directory(for: key)
        if !knownDirectories.contains(directory.path) {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            knownDirectories.insert(directory.path)
        }
        let target = directory.appendingPathComponent(key.name + ".json")
        let temporary = directory.appendingPathComponent(key.name + ".json.tmp")
        let bytes = Array(value.jsonText().utf8)
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot create \(temporary.path): errno \(errno)") }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + written, bytes.count - written)
            }
            guard result > 0 else {
                close(descriptor)
                throw Failure(description: "cannot write \(temporary.path): errno \(errno)")
            }
            written += result
        }
        guard fsync(descriptor) == 0 else {
            close(descriptor)
            throw Failure(description: "cannot flush \(temporary.path): errno \(errno)")
        }
        close(descriptor)
        guard rename(temporary.path, target.path) == 0 else {
            throw Failure(description: "cannot rename \(temporary.path): errno \(errno)")
        }
        try syncDirectory(directory)
    }

    mutating func remove(_ key: Key) throws {
        let directory = directory(for: key)
        let target = directory.appendingPathComponent(key.name + ".json")
        guard unlink(target.path) == 0 || errno == ENOENT else {
            throw Failure(description: "cannot remove \(target.path): errno \(errno)")
        }
        try syncDirectory(directory)
    }

    private func syncDirectory(_ directory: URL) throws {
        let descriptor = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(directory.path): errno \(errno)") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw Failure(description: "cannot flush \(directory.path): errno \(errno)") }
    }
}
