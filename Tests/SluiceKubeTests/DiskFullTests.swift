import Foundation
import SluiceModel
import SluiceTestSupport
import Testing

@testable import SluiceKube

/// The embedded store's disk full: `sluice api-server` runs under a file size limit
/// (`ulimit -f`, RLIMIT_FSIZE: its writes fail with EFBIG as a full disk's fail with ENOSPC; a
/// tmpfs of a chosen size needs root). Writes past the limit fail with a 500 that says why, the
/// server stays up and keeps answering reads, the log is left ending at a whole record, and a
/// restart with room finds every acknowledged object.
@Suite struct DiskFullTests {
    static func configMap(_ name: String, _ value: String) -> Object {
        Object([
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": ["name": .string(name), "namespace": "default"],
            "data": ["fill": .string(value)],
        ])
    }

    static func reference(_ name: String) -> ObjectReference {
        ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: name)
    }

    /// Whether `bytes` is a sequence of whole log records (length, checksum, payload), nothing after.
    static func endsAtRecord(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset + 36 <= bytes.count {
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
            offset += 36 + length
        }
        return offset == bytes.count
    }

    @Test("disk full: writes fail with a clear 500, nothing acknowledged is lost, the log is not torn")
    func fileSizeLimit() async throws {
        let directory = try TemporaryDirectory("sluice-diskfull")
        let data = directory.path("data")
        // Seeded and reopened, the store's snapshot holds the built-in objects and its log is
        // empty: the server's own start rewrites the same snapshot, under the limit.
        _ = try await EmbeddedCluster(dataDirectory: data)
        _ = try await EmbeddedCluster(dataDirectory: data)
        let snapshot = try FileManager.default.attributesOfItem(atPath: data.appendingPathComponent("store/snapshot.json").path)
        let snapshotSize = try #require(snapshot[FileAttributeKey.size] as? Int)
        // The limit is per file: the log may grow to it, about 1 MiB more than the snapshot.
        let limitKiB = snapshotSize / 1024 + 1024

        let port = try freeLoopbackPort()
        let log = open(directory.path("server.log").path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o600)
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let pid = try Subprocess.spawn(
            [
                "/bin/bash", "-c", "ulimit -f \(limitKiB) && exec \"$0\" api-server --data-dir \"$1\" --api-listen \"$2\"",
                CrashTests.sluiceBinary.path, data.path, "127.0.0.1:\(port)",
            ],
            environment: Shell.environment, stdin: devNull, stdout: log, stderr: log)
        close(log)
        close(devNull)
        defer { if kill(pid, 0) == 0 { kill(pid, SIGKILL); _ = Subprocess.wait(pid) } }
        try waitForListener(port: port, timeout: .seconds(30))
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: data.appendingPathComponent("kubeconfig").path) {
            try await Task.sleep(for: .milliseconds(50))
        }
        let client = try KubeCluster(Kubeconfig.load(path: data.appendingPathComponent("kubeconfig").path))
        defer { Task { try await client.shutdown() } }

        // About 200 KB per object, until the store refuses one.
        var acknowledged: [String: String] = [:]
        var refused: (name: String, error: APIError)?
        for index in 0..<200 {
            let name = "fill-\(index)"
            let value = String(repeating: String(format: "%04d", index), count: 50_000)
            do {
                let stored = try await client.serverSideApply(Self.configMap(name, value), options: ApplyOptions(fieldManager: "test"))
                #expect(stored[FieldPath(parsing: "data.fill")]?.stringValue == value)
                acknowledged[name] = value
            } catch let error as APIError {
                refused = (name, error)
                break
            }
        }
        let (refusedName, error) = try #require(refused, "the limit was never reached")
        #expect(!acknowledged.isEmpty, "the first write already failed: the test proved nothing")
        #expect(error.code == 500)
        #expect(error.message.contains("File too large"), "\(error.message)")
        #expect(kill(pid, 0) == 0, "the server died at the limit")

        // Later writes are refused before they change anything; reads go on.
        await #expect {
            _ = try await client.serverSideApply(Self.configMap("after-full", "small"), options: ApplyOptions(fieldManager: "test"))
        } throws: { error in
            (error as? APIError)?.code == 500 && ((error as? APIError)?.message.contains("takes no writes until restarted") ?? false)
        }
        await #expect { _ = try await client.get(Self.reference("after-full")) } throws: { ($0 as? APIError)?.code == 404 }
        for (name, value) in acknowledged.sorted(by: { $0.key < $1.key }).prefix(3) {
            #expect(try await client.get(Self.reference(name))[FieldPath(parsing: "data.fill")]?.stringValue == value)
        }
        let logBytes = [UInt8](try Data(contentsOf: data.appendingPathComponent("store/wal.log")))
        #expect(Self.endsAtRecord(logBytes), "the log ends in a torn record (\(logBytes.count) bytes)")
        kill(pid, SIGKILL)
        _ = Subprocess.wait(pid)

        // Restarted with room: everything acknowledged is there, the refused write is not.
        let restarted = try await EmbeddedCluster(dataDirectory: data)
        for (name, value) in acknowledged {
            let object = try await restarted.get(Self.reference(name))
            #expect(object[FieldPath(parsing: "data.fill")]?.stringValue == value, "\(name)")
        }
        await #expect { _ = try await restarted.get(Self.reference(refusedName)) } throws: { ($0 as? APIError)?.code == 404 }
        _ = try await restarted.serverSideApply(Self.configMap("after-restart", "room again"), options: ApplyOptions(fieldManager: "test"))
        let again = try await EmbeddedCluster(dataDirectory: data)
        #expect(try await again.get(Self.reference("after-restart"))[FieldPath(parsing: "data.fill")]?.stringValue == "room again")
        print("disk full: \(acknowledged.count) objects of 200 KB acknowledged before the \(limitKiB) KiB limit; refused with: \(error.message)")
    }
}
