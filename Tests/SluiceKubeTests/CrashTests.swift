import Foundation
import SluiceModel
import SluiceTestSupport
import Synchronization
import Testing

@testable import SluiceKube

/// `sluice api-server` killed with SIGKILL in the middle of 1,000 concurrent applies: after a
/// restart on the same data directory every acknowledged object is there, whole, with the
/// content the client was told was stored.
@Suite struct CrashTests {
    static var sluiceBinary: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sluice")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return SharedData.packageRoot.appendingPathComponent(".build/debug/sluice")
    }

    /// Every attempt checks what survived; one must have killed the server with applies in
    /// flight. On a loaded machine the client may process its answers so late that the server has
    /// answered every apply in flight before the kill lands: that attempt proves durability only
    /// for what was answered, and the scenario runs again (at most three times).
    @Test func killDuringConcurrentApplies() async throws {
        var killedInFlight = false
        for _ in 0..<3 where !killedInFlight {
            killedInFlight = try await killAndRestart()
        }
        #expect(killedInFlight, "in three attempts no apply was in flight when the server died; the test proved nothing")
    }

    /// One run of the scenario; whether applies were in flight when the server died.
    private func killAndRestart() async throws -> Bool {
        let directory = try TemporaryDirectory("sluice-crash")
        let port = try freeLoopbackPort()
        let log = open(directory.path("server.log").path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o600)
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let pid = try Subprocess.spawn(
            [Self.sluiceBinary.path, "api-server", "--data-dir", directory.url.path, "--api-listen", "127.0.0.1:\(port)"],
            environment: Shell.environment, stdin: devNull, stdout: log, stderr: log)
        close(log)
        close(devNull)
        try waitForListener(port: port, timeout: .seconds(30))
        // The kubeconfig is written once the listener is bound.
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: directory.path("kubeconfig").path) {
            try await Task.sleep(for: .milliseconds(50))
        }
        let client = try KubeCluster(Kubeconfig.load(path: directory.path("kubeconfig").path), maximumConnections: 64)

        let acknowledged = Acknowledged()
        let applies = Task {
            await withTaskGroup(of: Void.self) { group in
                // At most 64 applies in flight, the next one started only after an answer was
                // recorded: with all 1,000 queued in the HTTP client at once, its event loop could
                // finish every one of them before a loaded machine ran the task that records the
                // 150th answer and kills the server.
                let inFlight = 64
                for index in 0..<1000 {
                    if index >= inFlight { await group.next() }
                    // Once the server is dead, more applies would only wait for their errors.
                    if acknowledged.objects.withLock({ $0.count }) >= 150 { break }
                    acknowledged.started.withLock { $0 += 1 }
                    group.addTask {
                        let route = ClusterSuite.route("crash-\(index)", namespace: "default", weights: (Int64(index), Int64(1000 - index)))
                        guard let stored = try? await client.serverSideApply(route, options: ApplyOptions(fieldManager: "sluice")) else { return }
                        let count = acknowledged.objects.withLock {
                            $0[stored.name] = ClusterSuite.weights(stored)
                            return $0.count
                        }
                        if count == 150 { kill(pid, SIGKILL) }
                    }
                }
            }
        }
        await applies.value
        kill(pid, SIGKILL)  // already dead unless fewer than 150 applies were answered
        #expect(Subprocess.wait(pid) == 128 + SIGKILL)
        try await client.shutdown()

        let saved = acknowledged.objects.withLock { $0 }
        let restarted = try await EmbeddedCluster(dataDirectory: directory.url)
        for (name, weights) in saved {
            let object = try await restarted.get(ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: "default", name: name))
            #expect(ClusterSuite.weights(object) == weights, "\(name)")
            #expect(object.metadata["uid"] != nil && object.metadata["managedFields"] != nil, "\(name)")
        }
        // The restart compacted the replayed log into a snapshot.
        let logAttributes = try FileManager.default.attributesOfItem(atPath: directory.path("store/wal.log").path)
        #expect((logAttributes[FileAttributeKey.size] as? Int) == 0)
        return saved.count < acknowledged.started.withLock { $0 }
    }
}

/// The objects the server answered for, as it answered, and how many applies were sent (shared
/// by the apply tasks).
final class Acknowledged: Sendable {
    let objects = Mutex<[String: [Int64]]>([:])
    let started = Mutex(0)
}
