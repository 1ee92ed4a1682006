import Foundation
import SluiceAgent
import SluiceKube
import SluiceModel
import SluiceTestSupport
import Testing

extension AgentProcessSuites {
    /// Faults during a sync (issue #10): the cluster ends at a consistent revision and nothing is lost.
    @Suite struct FaultTests {
        static let httpRoutes = ResourceKind(group: "gateway.networking.k8s.io", version: "v1", kind: "HTTPRoute", plural: "httproutes", namespaced: true)
        static let events = ResourceKind(group: "", version: "v1", kind: "Event", plural: "events", namespaced: true)

        /// `count` more HTTPRoutes on the demo app's Service, so an apply takes a while.
        static func extraRoutes(_ count: Int) -> String {
            (0..<count).map { index in
                """
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata:
                  name: extra-\(index)
                spec:
                  parentRefs:
                    - name: edge
                  hostnames:
                    - extra-\(index).e2e.test
                  rules:
                    - backendRefs:
                        - name: app
                          port: 8080
                """
            }.joined(separator: "\n---\n")
        }

        /// The demo app and 400 more routes: an apply that takes long enough to be interrupted.
        static func repositoryWith401Routes() throws -> TestRepository {
            let repository = try TestRepository()
            try DemoApp(upstreamPort: 9).write(to: repository)
            try repository.write("app/extra.yaml", extraRoutes(400))
            try repository.write("app/kustomization.yaml", """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                namespace: e2e
                resources:
                  - namespace.yaml
                  - app.yaml
                  - extra.yaml
                """)
            try repository.commit("401 routes")
            return repository
        }

        @Test("the API server killed mid-apply: the agent retries with backoff and finishes when it returns")
        func apiServerGoneMidApply() async throws {
            let repository = try Self.repositoryWith401Routes()
            let daemon = try GitDaemon.start(exporting: repository.root)
            defer { daemon.stop() }

            let data = try TemporaryDirectory("sluice-fault")
            let apiPort = try freeLoopbackPort()
            let apiArguments = ["api-server", "--data-dir", data.path("api").path, "--api-listen", "127.0.0.1:\(apiPort)"]
            var apiServer = try AgentProcess.start(apiArguments, log: data.path("api.log"))
            let kubeconfig = data.path("api/kubeconfig").path
            try #require(await eventually(timeout: .seconds(30)) { FileManager.default.fileExists(atPath: kubeconfig) } != nil)
            try waitForListener(port: apiPort)
            let cluster = try KubeCluster(Kubeconfig.load(path: kubeconfig))
            defer { Task { try await cluster.shutdown() } }
            let setup = ApplyOptions(fieldManager: "test-setup", force: true)
            _ = try await cluster.serverSideApply(Object(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "sluice-system"]]), options: setup)

            let agent = try AgentProcess.start(
                [
                    "run", "--repo", "git://127.0.0.1:\(daemon.port)/repo.git", "--path", "app", "--target", "e2e", "--interval", "60s",
                    "--kubeconfig", kubeconfig, "--data-dir", data.path("agent").path, "--lease-duration", "3s",
                    "--listener-port-offset", String(try freeLoopbackPort() - 80), "--metrics-listen", "",
                ], log: data.path("agent.log"))
            defer { agent.stop() }

            func routeCount() async -> Int? {
                try? await cluster.list(Self.httpRoutes, namespace: "e2e", options: ListOptions()).items.count
            }
            var countAtKill: Int?
            _ = await eventually(timeout: .seconds(60)) {
                guard let count = await routeCount(), count > 0 else { return false }
                apiServer.stop(SIGKILL)
                countAtKill = count
                return true
            }
            let killed = try #require(countAtKill, "the agent never started applying:\n\(agent.output)")
            #expect(killed < 401, "the kill came after the apply (\(killed) routes)")
            try await Task.sleep(for: .seconds(2))
            apiServer = try AgentProcess.start(apiArguments, log: data.path("api.log"))
            defer { apiServer.stop() }

            let finished = await eventually(timeout: .seconds(90)) {
                guard await routeCount() == 401 else { return false }
                let inventory = try? await cluster.get(
                    ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: "sluice-system", name: "sluice-inventory-e2e"))
                return inventory != nil
            }
            #expect(finished != nil, "the sync did not finish after the API server came back:\n\(agent.output.suffix(3000))")
            #expect(agent.output.contains("failed at apply"), "the outage was not reported")
            print("API server killed with \(killed) of 401 routes applied; the agent finished \(finished.map { "\($0)" } ?? "never") after the restart")
        }

        @Test("the Git server gone: the last good revision keeps serving, an Event says so, and a new commit applies when it returns")
        func gitServerGone() async throws {
            let upstream = try await DemoBackends.endpoint(for: .init(name: "app", port: 0)).bind()
            let upstreamTask = Task { try await upstream.run() }
            defer { upstreamTask.cancel() }
            let repository = try TestRepository()
            var app = DemoApp(upstreamPort: upstream.port)
            try app.write(to: repository)
            try repository.commit("v1")
            var daemon = try GitDaemon.start(exporting: repository.root)
            let gitPort = daemon.port

            let data = try TemporaryDirectory("sluice-gitgone")
            let proxyPort = try freeLoopbackPort()
            let agent = try AgentProcess.start(
                [
                    "run", "--repo", "git://127.0.0.1:\(gitPort)/repo.git", "--path", "app", "--target", "e2e", "--interval", "1s",
                    "--data-dir", data.path("state").path, "--api-listen", "127.0.0.1:0",
                    "--listener-port-offset", String(proxyPort - 80), "--metrics-listen", "",
                ], log: data.path("agent.log"))
            defer { agent.stop() }
            func served(_ path: String) async -> Bool { await get(port: proxyPort, path: path, host: "app.e2e.test")?.status == 200 }
            try #require(await eventually(timeout: .seconds(60)) { await served("/v1") } != nil, "\(agent.output)")

            daemon.stop()
            let cluster = try KubeCluster(Kubeconfig.load(path: data.path("state/kubeconfig").path))
            defer { Task { try await cluster.shutdown() } }
            let reported = await eventually(timeout: .seconds(20)) {
                let events = try? await cluster.list(Self.events, namespace: "sluice-system", options: ListOptions())
                return events?.items.contains { $0[FieldPath(parsing: "reason")]?.stringValue == "FetchFailed" } == true
            }
            #expect(reported != nil, "no FetchFailed event:\n\(agent.output)")
            #expect(await served("/v1"), "the last good revision stopped serving")

            app.path = "/v2"
            try app.write(to: repository)
            try repository.commit("v2 while the server was away")
            daemon = try GitDaemon.start(exporting: repository.root, port: gitPort)
            defer { daemon.stop() }
            let recovered = await eventually(timeout: .seconds(40)) { await served("/v2") }
            #expect(recovered != nil, "the agent did not recover:\n\(agent.output.suffix(2000))")
        }

        @Test("the agent killed with SIGKILL mid-apply on the embedded default: a restart recovers the store and finishes")
        func agentKilledMidApply() async throws {
            let repository = try Self.repositoryWith401Routes()
            let daemon = try GitDaemon.start(exporting: repository.root)
            defer { daemon.stop() }

            let data = try TemporaryDirectory("sluice-kill")
            let apiPort = try freeLoopbackPort()
            let arguments = [
                "run", "--repo", "git://127.0.0.1:\(daemon.port)/repo.git", "--path", "app", "--target", "e2e", "--interval", "60s",
                "--data-dir", data.path("state").path, "--api-listen", "127.0.0.1:\(apiPort)",
                "--listener-port-offset", String(try freeLoopbackPort() - 80), "--metrics-listen", "",
            ]
            var agent = try AgentProcess.start(arguments, log: data.path("agent.log"))
            let kubeconfig = data.path("state/kubeconfig").path
            try #require(await eventually(timeout: .seconds(60)) { FileManager.default.fileExists(atPath: kubeconfig) } != nil)
            try waitForListener(port: apiPort)
            let cluster = try KubeCluster(Kubeconfig.load(path: kubeconfig))
            defer { Task { try await cluster.shutdown() } }
            func routeCount() async -> Int? {
                try? await cluster.list(Self.httpRoutes, namespace: "e2e", options: ListOptions()).items.count
            }
            var countAtKill: Int?
            _ = await eventually(timeout: .seconds(60)) {
                guard let count = await routeCount(), count > 0 else { return false }
                agent.stop(SIGKILL)
                countAtKill = count
                return true
            }
            let killed = try #require(countAtKill, "the agent never started applying:\n\(agent.output)")
            #expect(killed < 401, "the kill came after the apply (\(killed) routes)")

            agent = try AgentProcess.start(arguments, log: data.path("agent.log"))
            defer { agent.stop() }
            let finished = await eventually(timeout: .seconds(90)) {
                guard await routeCount() == 401 else { return false }
                let inventory = try? await cluster.get(
                    ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: "sluice-system", name: "sluice-inventory-e2e"))
                return inventory != nil
            }
            #expect(finished != nil, "the restarted agent did not finish:\n\(agent.output.suffix(3000))")
            print("agent killed with \(killed) of 401 routes applied; after a restart all were there in \(finished.map { "\($0)" } ?? "never")")
        }
    }
}
