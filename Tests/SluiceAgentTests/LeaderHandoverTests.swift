import Foundation
import SluiceAgent
import SluiceKube
import SluiceModel
import SluiceTestSupport
import Testing

extension AgentProcessSuites {
    /// Two `sluice run` replicas against one API server (the embedded one, served by
    /// `sluice api-server`, reached through its kubeconfig as a real cluster would be).
    @Suite struct LeaderHandoverTests {
        @Test("only the leader writes; a kill -9 of it hands over within the lease duration")
        func twoReplicas() async throws {
            let upstream = try await DemoBackends.endpoint(for: .init(name: "app", port: 0)).bind()
            let upstreamTask = Task { try await upstream.run() }
            defer { upstreamTask.cancel() }

            let repository = try TestRepository()
            var app = DemoApp(upstreamPort: upstream.port)
            try app.write(to: repository)
            try repository.commit("v1")
            let daemon = try GitDaemon.start(exporting: repository.root)
            defer { daemon.stop() }
            let url = "git://127.0.0.1:\(daemon.port)/repo.git"

            let data = try TemporaryDirectory("sluice-ha")
            let apiServer = try AgentProcess.start(
                ["api-server", "--data-dir", data.path("api").path, "--api-listen", "127.0.0.1:0"], log: data.path("api.log"))
            defer { apiServer.stop() }
            let kubeconfig = data.path("api/kubeconfig").path
            try #require(await eventually(timeout: .seconds(30)) { FileManager.default.fileExists(atPath: kubeconfig) } != nil)

            // What deploy/ installs in a real cluster before the agent starts.
            let cluster = try KubeCluster(Kubeconfig.load(path: kubeconfig))
            defer { Task { try await cluster.shutdown() } }
            let setup = ApplyOptions(fieldManager: "test-setup", force: true)
            _ = try await cluster.serverSideApply(Object(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "sluice-system"]]), options: setup)
            _ = try await cluster.serverSideApply(
                Object([
                    "apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": ["name": "sluice"],
                    "spec": ["controllerName": "sluice.dev/gateway-controller"],
                ]), options: setup)

            // 6 s (renew deadline 4 s): with 3 s a leader whose renewal stalled 2 s on a loaded CI
            // machine rightly stepped down and the other took over, which this test cannot tell from
            // two writers.
            let leaseSeconds = 6
            func replica(_ name: String) throws -> (process: AgentProcess, metricsPort: Int) {
                let proxyPort = try freeLoopbackPort()
                let metricsPort = try freeLoopbackPort()
                let process = try AgentProcess.start(
                    [
                        "run", "--repo", url, "--path", "app", "--target", "ha", "--interval", "2s", "--kubeconfig", kubeconfig,
                        "--data-dir", data.path("state-\(name)").path, "--identity", name, "--lease-duration", "\(leaseSeconds)s",
                        "--listener-port-offset", String(proxyPort - 80), "--metrics-listen", "127.0.0.1:\(metricsPort)",
                    ], log: data.path("\(name).log"))
                return (process, metricsPort)
            }
            let a = try replica("replica-a")
            let b = try replica("replica-b")

            func holder() async -> String? {
                guard let lease = try? await cluster.lease(namespace: "sluice-system", name: "sluice-leader") else { return nil }
                return LeaseRecord(lease: lease).holderIdentity
            }
            let synced = await eventually(timeout: .seconds(60)) { a.process.output.contains("synced ha") || b.process.output.contains("synced ha") }
            try #require(synced != nil, "no replica synced:\n\(a.process.output)\n\(b.process.output)")
            let leaderName = try #require(await holder())
            let (leader, follower) = leaderName == "replica-a" ? (a, b) : (b, a)
            #expect(leader.process.output.contains("synced ha"))
            #expect(!follower.process.output.contains("synced ha"), "the follower wrote:\n\(follower.process.output)")
            #expect(await get(port: follower.metricsPort, path: "/readyz")?.body.contains("leader: false") == true)

            // The leader dies without releasing the lease.
            leader.process.stop(SIGKILL)
            let handover = await eventually(timeout: .seconds(30)) { await holder() == (leaderName == "replica-a" ? "replica-b" : "replica-a") }
            #expect(handover != nil && handover! <= .seconds(leaseSeconds) + .seconds(2), "handover took \(String(describing: handover))")
            print("leader handover after kill -9: \(handover.map { "\($0)" } ?? "never") (lease duration \(leaseSeconds) s)")

            // The new leader applies the next commit.
            app.path = "/after-handover"
            try app.write(to: repository)
            try repository.commit("after handover")
            let applied = await eventually(timeout: .seconds(20)) {
                let route = try? await cluster.get(ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: "e2e", name: "app"))
                return route?[FieldPath(parsing: "spec.rules[0].matches[0].path.value")]?.stringValue == "/after-handover"
            }
            #expect(applied != nil, "the new leader did not apply:\n\(follower.process.output)")
            #expect(follower.process.stop(SIGTERM) == 0)
        }
    }
}
