import Foundation
import SluiceAgent
import SluiceKube
import SluiceModel
import SluiceTestSupport
import Testing

extension AgentProcessSuites.FaultTests {
    /// Sluice applies with force, so another manager's field ownership never stops a sync; what
    /// does reach it is the API server's optimistic-concurrency 409: a manifest exported with
    /// `kubectl get -o yaml` keeps `metadata.resourceVersion`, and once another manager writes
    /// the object that version is stale (`shared/fixtures/kube-apiserver/11-ssa-stale-resourceversion.json`).
    @Test("a 409 after another manager's write: reported with the server's message, retried with backoff, never a crash loop")
    func conflictFromAnotherManager() async throws {
        let upstream = try await DemoBackends.endpoint(for: .init(name: "app", port: 0)).bind()
        let upstreamTask = Task { try await upstream.run() }
        defer { upstreamTask.cancel() }
        let repository = try TestRepository()
        var app = DemoApp(upstreamPort: upstream.port)
        try app.write(to: repository)
        try repository.commit("v1")
        let daemon = try GitDaemon.start(exporting: repository.root)
        defer { daemon.stop() }

        let data = try TemporaryDirectory("sluice-conflict")
        let proxyPort = try freeLoopbackPort()
        let metricsPort = try freeLoopbackPort()
        let agent = try AgentProcess.start(
            [
                "run", "--repo", "git://127.0.0.1:\(daemon.port)/repo.git", "--path", "app", "--target", "e2e", "--interval", "20s",
                "--data-dir", data.path("state").path, "--api-listen", "127.0.0.1:0",
                "--listener-port-offset", String(proxyPort - 80), "--metrics-listen", "127.0.0.1:\(metricsPort)",
            ], log: data.path("agent.log"))
        defer { agent.stop() }
        func served(_ path: String) async -> Bool { await get(port: proxyPort, path: path, host: "app.e2e.test")?.status == 200 }
        try #require(await eventually(timeout: .seconds(60)) { await served("/v1") } != nil, "\(agent.output)")

        let kubeconfig = data.path("state/kubeconfig").path
        let cluster = try KubeCluster(Kubeconfig.load(path: kubeconfig))
        defer { Task { try await cluster.shutdown() } }
        let reference = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: "e2e", name: "app")
        let exported = try #require(try await cluster.get(reference).metadata["resourceVersion"]?.stringValue)
        // Another manager writes the route (a field Sluice does not own, so it is no drift).
        let label = try await Shell.outcomeOnThread(["kubectl", "--kubeconfig", kubeconfig, "-n", "e2e", "label", "httproute", "app", "owner=platform"])
        #expect(label.status == 0, "\(label.errorOutput)")

        // The next commit carries the version the route had when it was exported.
        app.path = "/v2"
        try app.write(to: repository)
        let manifest = try String(contentsOf: repository.work.appendingPathComponent("app/app.yaml"), encoding: .utf8)
        let pinned = manifest.replacingOccurrences(
            of: "kind: HTTPRoute\nmetadata:\n  name: app\n", with: "kind: HTTPRoute\nmetadata:\n  name: app\n  resourceVersion: \"\(exported)\"\n")
        #expect(pinned != manifest)
        try repository.write("app/app.yaml", pinned)
        let stale = try repository.commit("v2, exported with its resourceVersion")

        let conflict = "Operation cannot be fulfilled on httproutes.gateway.networking.k8s.io \"app\": the object has been modified"
        let reported = await eventually(timeout: .seconds(70)) { agent.output.contains(conflict) }
        try #require(reported != nil, "the 409 was not reported:\n\(agent.output.suffix(3000))")
        let firstReport = ContinuousClock.now
        let attemptsBefore = agent.output.components(separatedBy: "revision \(stale.prefix(12)) failed at apply").count - 1
        try await Task.sleep(for: .seconds(16))
        let attempts = agent.output.components(separatedBy: "revision \(stale.prefix(12)) failed at apply").count - 1 - attemptsBefore
        // Backoff of 1, 2, 4, 8 s (and a poll every 20 s): a few more attempts in 16 s, not a hot loop.
        #expect((1...7).contains(attempts), "\(attempts) attempts in \(firstReport.duration(to: .now))")
        #expect(kill(agent.pid, 0) == 0, "the agent exited:\n\(agent.output.suffix(2000))")
        #expect(await get(port: metricsPort, path: "/healthz")?.status == 200)
        #expect(await served("/v1"), "the last good revision stopped serving")
        #expect(await get(port: proxyPort, path: "/v2", host: "app.e2e.test")?.status == 404)
        let readiness = await get(port: metricsPort, path: "/readyz")?.body ?? ""
        #expect(readiness.contains("HTTPRoute e2e/app") && readiness.contains("the object has been modified"), "\(readiness)")
        let events = try await cluster.list(Self.events, namespace: "sluice-system", options: ListOptions())
        #expect(events.items.contains { event in
            event[FieldPath(parsing: "reason")]?.stringValue == "SyncFailed"
                && (event[FieldPath(parsing: "message")]?.stringValue ?? "").contains(conflict)
        }, "no SyncFailed event with the server's message")
        #expect(try await cluster.get(reference).labels["owner"] == "platform", "the other manager's write was undone")

        // Fixed in Git (the version dropped): the next retry applies it.
        app.path = "/v3"
        try app.write(to: repository)
        try repository.commit("v3 without a resourceVersion")
        let recovered = await eventually(timeout: .seconds(60)) { await served("/v3") }
        #expect(recovered != nil, "the fixed revision was not applied:\n\(agent.output.suffix(2000))")
        print("409 from another manager: reported after \(reported.map { "\($0)" } ?? "never"), \(attempts) retries in 16 s, fixed revision served \(recovered.map { "\($0)" } ?? "never") after its commit")
    }
}
