import Foundation
import SluiceAgent
import SluiceKube
import SluiceModel
import SluiceTestSupport
import Testing

extension AgentProcessSuites {
    /// `sluice run` as a user runs it: the built binary, a git daemon on loopback, the embedded
    /// default, real upstreams behind the proxy core.
    @Suite struct AgentEndToEndTests {
        static let secret = "e2e-webhook-secret"

        /// Runs an upstream answering with the path and headers it received, for as long as `body` runs.
        func withUpstream<T>(_ body: (Int) async throws -> T) async throws -> T {
            let upstream = try await DemoBackends.endpoint(for: .init(name: "app", port: 0)).bind()
            let task = Task { try await upstream.run() }
            defer { task.cancel() }
            return try await body(upstream.port)
        }

        @Test("a commit is served within 2 s of its webhook and interval + 2 s of a poll; a broken one changes nothing")
        func commitToServedRoute() async throws {
            try await withUpstream { upstreamPort in
                let repository = try TestRepository()
                var app = DemoApp(upstreamPort: upstreamPort)
                try app.write(to: repository)
                try repository.commit("v1")
                let daemon = try GitDaemon.start(exporting: repository.root)
                defer { daemon.stop() }
                let url = "git://127.0.0.1:\(daemon.port)/repo.git"

                let data = try TemporaryDirectory("sluice-agent")
                let proxyPort = try freeLoopbackPort()
                let metricsPort = try freeLoopbackPort()
                let webhookPort = try freeLoopbackPort()
                let agent = try AgentProcess.start(
                    [
                        "run", "--repo", url, "--path", "app", "--target", "e2e", "--interval", "3s",
                        "--data-dir", data.path("state").path, "--api-listen", "127.0.0.1:0",
                        "--listener-port-offset", String(proxyPort - 80), "--metrics-listen", "127.0.0.1:\(metricsPort)",
                        "--webhook-listen", "127.0.0.1:\(webhookPort)",
                    ], log: data.path("agent.log"), environment: ["SLUICE_WEBHOOK_SECRET": Self.secret])

                func served(_ path: String, stage: String) async -> Bool {
                    guard let answer = await get(port: proxyPort, path: path, host: "app.e2e.test") else { return false }
                    return answer.status == 200 && answer.body.contains("\"x-stage\":\"\(stage)\"")
                }

                let first = await eventually(timeout: .seconds(60)) { await served("/v1", stage: "one") }
                try #require(first != nil, "the first revision was never served:\n\(agent.output)")

                // A push announced by a webhook.
                app.path = "/v2"
                app.stage = "two"
                try app.write(to: repository)
                try repository.commit("v2: new path and header")
                #expect(await sendWebhook(port: webhookPort, secret: Self.secret, repository: url) == 202)
                let byWebhook = await eventually(timeout: .seconds(15)) { await served("/v2", stage: "two") }
                #expect(byWebhook != nil && byWebhook! < .seconds(2), "webhook to served: \(String(describing: byWebhook))")
                #expect(await get(port: proxyPort, path: "/v1", host: "app.e2e.test")?.status == 404)

                // A push nobody announces: the poll finds it.
                app.path = "/v3"
                app.stage = "three"
                try app.write(to: repository)
                try repository.commit("v3: found by polling")
                let byPoll = await eventually(timeout: .seconds(20)) { await served("/v3", stage: "three") }
                #expect(byPoll != nil && byPoll! < .seconds(5), "poll to served: \(String(describing: byPoll))")
                print("agent e2e: webhook → served \(byWebhook.map { "\($0)" } ?? "never"), push → served by a 3 s poll \(byPoll.map { "\($0)" } ?? "never")")

                // A kubectl edit of a weight is drift: reported with the field named, and (the target's
                // drift mode being `correct`) put back.
                let kubeconfig = data.path("state/kubeconfig").path
                let edit = try await Shell.outcomeOnThread([
                    // What `kubectl edit` sends for a custom resource: a merge patch (lists go whole).
                    "kubectl", "--kubeconfig", kubeconfig, "-n", "e2e", "patch", "httproute", "app", "--type=merge", "-p",
                    #"{"spec":{"rules":[{"matches":[{"path":{"type":"PathPrefix","value":"/v3"}}],"filters":[{"type":"RequestHeaderModifier","requestHeaderModifier":{"set":[{"name":"x-stage","value":"three"}]}}],"backendRefs":[{"name":"app","port":8080,"weight":7}]}]}}"#,
                ])
                #expect(edit.status == 0, "\(edit.errorOutput)")
                let driftCluster = try KubeCluster(Kubeconfig.load(path: kubeconfig))
                defer { Task { try await driftCluster.shutdown() } }
                let eventKind = ResourceKind(group: "", version: "v1", kind: "Event", plural: "events", namespaced: true)
                let driftReported = await eventually(timeout: .seconds(10)) {
                    let events = try? await driftCluster.list(eventKind, namespace: "e2e", options: ListOptions())
                    return events?.items.contains { event in
                        event[FieldPath(parsing: "reason")]?.stringValue == "DriftDetected"
                            && (event[FieldPath(parsing: "message")]?.stringValue ?? "").contains("spec.rules[0].backendRefs[0].weight")
                    } == true
                }
                #expect(driftReported != nil && driftReported! < .seconds(2), "drift event after \(String(describing: driftReported)):\n\(agent.output.suffix(2000))")
                let restored = await eventually(timeout: .seconds(10)) {
                    let route = try? await driftCluster.get(
                        ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: "e2e", name: "app"))
                    return route?[FieldPath(parsing: "spec.rules[0].backendRefs[0].weight")]?.integerValue == 1
                }
                #expect(restored != nil, "the drifted weight was not corrected")
                print("agent e2e: kubectl edit → DriftDetected event \(driftReported.map { "\($0)" } ?? "never")")

                // A broken revision: nothing of it reaches the cluster, v3 keeps serving, it is reported.
                app.path = "/v4"
                app.weight = 2_000_000
                try app.write(to: repository)
                let broken = try repository.commit("v4: weight out of range")
                #expect(await sendWebhook(port: webhookPort, secret: Self.secret, repository: url) == 202)
                let reported = await eventually(timeout: .seconds(15)) { agent.output.contains("revision \(broken.prefix(12)) failed at validate") }
                #expect(reported != nil, "the broken revision was not reported:\n\(agent.output)")
                #expect(agent.output.contains("weight"), "the report names the field")
                #expect(await served("/v3", stage: "three"))
                #expect(await get(port: proxyPort, path: "/v4", host: "app.e2e.test")?.status == 404)
                let readiness = await get(port: metricsPort, path: "/readyz")
                #expect(readiness?.body.contains("last error: revision \(broken.prefix(12)) failed at validate") == true)

                let cluster = try KubeCluster(Kubeconfig.load(path: data.path("state/kubeconfig").path))
                defer { Task { try await cluster.shutdown() } }
                let events = try await cluster.list(
                    ResourceKind(group: "", version: "v1", kind: "Event", plural: "events", namespaced: true), namespace: "sluice-system",
                    options: ListOptions())
                #expect(events.items.contains { event in
                    event[FieldPath(parsing: "reason")]?.stringValue == "SyncFailed"
                        && (event[FieldPath(parsing: "message")]?.stringValue ?? "").contains(String(broken.prefix(12)))
                })
                let route = try await cluster.get(ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: "e2e", name: "app"))
                #expect(route[FieldPath(parsing: "spec.rules[0].matches[0].path.value")]?.stringValue == "/v3")

                // The route's status says the proxy accepted it.
                let accepted = route[FieldPath(parsing: "status.parents[0].conditions")]?.arrayValue?.contains {
                    $0["type"]?.stringValue == "Accepted" && $0["status"]?.stringValue == "True"
                }
                #expect(accepted == true, "HTTPRoute status: \(String(describing: route[FieldPath(parsing: "status")]))")

                let metrics = await get(port: metricsPort, path: "/metrics")?.body ?? ""
                #expect(metrics.contains("sluice_sync_failures_total{target=\"*\",stage=\"validate\"} 1"), "\(metrics.prefix(2000))")

                // Neither the webhook secret nor the API server's bearer token is ever logged.
                let token = try String(contentsOf: data.path("state/pki/token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(!token.isEmpty && !agent.output.contains(token))
                #expect(!agent.output.contains(Self.secret))

                // SIGTERM stops it gracefully.
                let status = agent.stop(SIGTERM)
                #expect(status == 0, "exit status \(status):\n\(agent.output.suffix(2000))")
            }
        }
    }
}
