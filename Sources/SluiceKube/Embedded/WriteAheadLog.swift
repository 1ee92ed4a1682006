import Crypto
import Dispatch
import Foundation
import SluiceModel
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// EmbeddedCluster's durable store: a snapshot of every object plus an append-only log of the
/// writes since, under `<data-dir>/store/`.
///
/// Each log record is `length (4 bytes, little-endian) | SHA-256 of the payload (32) | payload
/// (JSON)`. Writes are group-committed: records queue up while the previous batch is being
/// written, and one write + fsync makes a whole batch durable; a client is answered only after
/// its record's batch is. At start the log is replayed up to the first torn or corrupt record
/// (what a crash in the middle of a write leaves), a new snapshot is written (temporary file,
/// fsync, rename, fsync of the directory) and the log starts empty.
///
/// A write that fails (a full disk, a file size limit) fails its batch and every write after it:
/// the log is cut back to its last durable record, so it never holds a torn one, and the store
/// takes no more writes until it is restarted with room to write (docs/reliability.md).
final class WriteAheadLog: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private struct State {
        var pending: [UInt8] = []
        var nextSequence: UInt64 = 0
        var durableSequence: UInt64 = 0
        var flushing = false
        /// The log's length up to its last durable record: where a failed batch is cut back to.
        var durableLength: Int64 = 0
        var failure: String?
        var waiters: [(sequence: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    }

    private let descriptor: Int32
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "sluice.embedded.wal")

    /// What a start found on disk: objects by key, and the highest resourceVersion recorded.
    struct Contents {
        var objects: [ObjectStore.Key: JSONValue] = [:]
        var resourceVersion: Int64 = 0
    }

    /// A file size limit (RLIMIT_FSIZE) kills a process with SIGXFSZ at the write that crosses
    /// it; ignored, that write fails with EFBIG as a full disk's fails with ENOSPC, and the store
    /// refuses writes instead of dying mid-record.
    private static let fileSizeSignalIgnored: Void = {
        _ = signal(SIGXFSZ, SIG_IGN)
    }()

    /// `errno` as the C library words it, with its number.
    static func describe(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }

    /// The reason every write fails after the first failure, or nil while the log is writable.
    var failure: String? { state.withLock { $0.failure } }

    /// Opens the store in `directory`, replays it, compacts it into a fresh snapshot.
    static func open(in directory: URL) throws -> (WriteAheadLog, Contents) {
        _ = fileSizeSignalIgnored
        let store = directory.appendingPathComponent("store", isDirectory: true)
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        let snapshotURL = store.appendingPathComponent("snapshot.json")
        let logURL = store.appendingPathComponent("wal.log")
        var contents = Contents()
        if let data = try? Data(contentsOf: snapshotURL) {
            let snapshot = try JSONParser.parse([UInt8](data))
            contents.resourceVersion = snapshot["resourceVersion"]?.integerValue ?? 0
            for entry in snapshot["objects"]?.arrayValue ?? [] {
                guard let key = ObjectStore.Key(entry["key"] ?? .null), let value = entry["value"] else { continue }
                contents.objects[key] = value
            }
        }
        if let data = try? Data(contentsOf: logURL) {
            replay([UInt8](data), into: &contents)
        }
        // Compact: the replayed state becomes the snapshot, and the log starts over.
        var objects: [JSONValue] = []
        for key in contents.objects.keys.sorted() { objects.append(["key": key.json, "value": contents.objects[key]!]) }
        let snapshot: JSONValue = ["resourceVersion": .integer(contents.resourceVersion), "objects": .array(objects)]
        try durablyReplace(snapshotURL, with: Array(snapshot.jsonText().utf8))
        try durablyReplace(logURL, with: [])
        let descriptor = Glibc.open(logURL.path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(logURL.path): \(describe(errno))") }
        return (WriteAheadLog(descriptor: descriptor), contents)
    }

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Applies every whole, intact record; stops at the first torn or corrupt one.
    static func replay(_ bytes: [UInt8], into contents: inout Contents) {
        var offset = 0
        while offset + 36 <= bytes.count {
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
            let start = offset + 36
            guard length >= 0, start + length <= bytes.count else { return }
            let payload = Array(bytes[start..<start + length])
            guard Array(SHA256.hash(data: payload)) == Array(bytes[offset + 4..<offset + 36]),
                let record = try? JSONParser.parse(payload), let key = ObjectStore.Key(record["key"] ?? .null)
            else { return }
            contents.resourceVersion = max(contents.resourceVersion, record["resourceVersion"]?.integerValue ?? 0)
            if record["op"]?.stringValue == "delete" {
                contents.objects[key] = nil
            } else if let value = record["value"] {
                contents.objects[key] = value
            }
            offset = start + length
        }
    }

    /// The bytes of one record.
    static func record(_ key: ObjectStore.Key, value: JSONValue?, resourceVersion: Int64) -> [UInt8] {
        var payload: JSONValue = ["op": value == nil ? "delete" : "put", "key": key.json, "resourceVersion": .integer(resourceVersion)]
        if let value { payload = payload.setting("value", value) }
        let bytes = Array(payload.jsonText().utf8)
        let length = UInt32(bytes.count)
        return [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 24 & 0xFF)]
            + Array(SHA256.hash(data: bytes)) + bytes
    }

    /// Queues a record; returns its sequence number for `waitUntilDurable`.
    func enqueue(_ record: [UInt8]) -> UInt64 {
        state.withLock { state in
            // After a failure nothing more is written, so nothing more is kept.
            if state.failure == nil { state.pending.append(contentsOf: record) }
            state.nextSequence += 1
            return state.nextSequence
        }
    }

    /// Returns once every record up to `sequence` is on disk (written and fsynced).
    func waitUntilDurable(_ sequence: UInt64) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let action: (start: Bool, fail: String?, done: Bool) = state.withLock { state in
                if let failure = state.failure { return (false, failure, false) }
                if state.durableSequence >= sequence { return (false, nil, true) }
                state.waiters.append((sequence, continuation))
                if state.flushing { return (false, nil, false) }
                state.flushing = true
                return (true, nil, false)
            }
            if let failure = action.fail { continuation.resume(throwing: Failure(description: failure)) }
            if action.done { continuation.resume() }
            if action.start { queue.async { self.flushLoop() } }
        }
    }

    /// Writes and fsyncs batches until nothing is pending.
    private func flushLoop() {
        while true {
            let (batch, sequence, durableLength) = state.withLock { state in
                let batch = state.pending
                state.pending = []
                return (batch, state.nextSequence, state.durableLength)
            }
            var failure: String?
            var written = 0
            while written < batch.count {
                let result = batch.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, batch.count - written) }
                if result <= 0 {
                    failure = "cannot write the store's log: \(Self.describe(result == 0 ? ENOSPC : errno))"
                    break
                }
                written += result
            }
            if failure == nil, fsync(descriptor) != 0 { failure = "cannot flush the store's log: \(Self.describe(errno))" }
            // A batch that did not reach the disk whole is cut off, so the log ends at a record.
            if failure != nil, ftruncate(descriptor, off_t(durableLength)) == 0 { _ = fsync(descriptor) }
            let (ready, failed, again): ([CheckedContinuation<Void, any Error>], [CheckedContinuation<Void, any Error>], Bool) = state.withLock { state in
                if let failure {
                    state.failure = failure
                    state.pending = []
                    let all = state.waiters.map(\.continuation)
                    state.waiters = []
                    state.flushing = false
                    return ([], all, false)
                }
                state.durableSequence = sequence
                state.durableLength += Int64(batch.count)
                let ready = state.waiters.filter { $0.sequence <= sequence }.map(\.continuation)
                state.waiters.removeAll { $0.sequence <= sequence }
                let again = !state.waiters.isEmpty || !state.pending.isEmpty
                if !again { state.flushing = false }
                return (ready, [], again)
            }
            for continuation in ready { continuation.resume() }
            for continuation in failed { continuation.resume(throwing: Failure(description: failure ?? "")) }
            if !again { return }
        }
    }

    /// Replaces `url` with `bytes`: temporary file, fsync, rename, fsync of the directory.
    static func durablyReplace(_ url: URL, with bytes: [UInt8]) throws {
        let temporary = url.path + ".tmp"
        let file = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw Failure(description: "cannot create \(temporary): \(describe(errno))") }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.write(file, $0.baseAddress! + written, bytes.count - written) }
            guard result > 0 else {
                close(file)
                throw Failure(description: "cannot write \(temporary): \(describe(errno))")
            }
            written += result
        }
        guard fsync(file) == 0 else {
            close(file)
            throw Failure(description: "cannot flush \(temporary): \(describe(errno))")
        }
        close(file)
        guard rename(temporary, url.path) == 0 else { throw Failure(description: "cannot rename \(temporary): \(describe(errno))") }
        let directory = Glibc.open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw Failure(description: "cannot open the store directory: \(describe(errno))") }
        defer { close(directory) }
        guard fsync(directory) == 0 else { throw Failure(description: "cannot flush the store directory: \(describe(errno))") }
    }
}
