import Foundation
import SluiceAgent
import SluiceKube
import SluiceModel
import SluiceTestSupport
import Testing

extension AgentProcessSuites {
    /// A canary rollout driven by `sluice run` itself, through a kill -9 of the agent, with the
    /// Gateway at an address of its own from `--gateway-address-pool`.
    @Suite struct CanaryAgentTests {
        static let canaryKind = ResourceKind(group: "sluice.dev", version: "v1alpha1", kind: "Canary", plural: "canaries", namespaced: true)

        static func write(_ repository: TestRepository, bluePort: Int, greenPort: Int, weights: (Int, Int)) throws {
            try repository.write("app/kustomization.yaml", """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                namespace: e2e
                resources:
                  - app.yaml
                """)
            var documents = ["""
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: e2e
                """, """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata:
                  name: edge
                spec:
                  gatewayClassName: sluice
                  listeners:
                    - name: http
                      protocol: HTTP
                      port: 80
                """]
            for (name, port) in [("blue", bluePort), ("green", greenPort)] {
                documents.append("""
                    apiVersion: v1
                    kind: Service
                    metadata:
                      name: \(name)
                    spec:
                      ports:
                        - name: http
                          port: 8080
                    """)
                documents.append("""
                    apiVersion: discovery.k8s.io/v1
                    kind: EndpointSlice
                    metadata:
                      name: \(name)-local
                      labels:
                        kubernetes.io/service-name: \(name)
                    addressType: IPv4
                    endpoints:
                      - addresses: [127.0.0.1]
                        conditions:
                          ready: true
                    ports:
                      - name: http
                        port: \(port)
                        protocol: TCP
                    """)
            }
            documents.append("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata:
                  name: app
                spec:
                  parentRefs:
                    - name: edge
                  hostnames:
                    - app.e2e.test
                  rules:
                    - backendRefs:
                        - name: blue
                          port: 8080
                          weight: \(weights.0)
                        - name: green
                          port: 8080
                          weight: \(weights.1)
                """)
            documents.append("""
                apiVersion: sluice.dev/v1alpha1
                kind: Canary
                metadata:
                  name: app
                spec:
                  routeRef:
                    kind: HTTPRoute
                    name: app
                  steps: [10, 50, 100]
                  interval: 3s
                  probes:
                    - name: health
                      request:
                        path: /health
                        hostname: app.e2e.test
                      expect:
                        status: [200]
                        maxLatency: 2s
                      every: 200ms
                  successRate: 0.9
                  minRequests: 5
                  failureLimit: 2
                """)
            try repository.write("app/app.yaml", documents.joined(separator: "\n---\n"))
        }

        @Test("a kill -9 of the agent during step 2 resumes at step 2 at the Gateway's same address; no step is skipped or repeated")
        func killDuringStepTwo() async throws {
            let blue = try await DemoBackends.endpoint(for: .init(name: "blue", port: 0)).bind()
            let green = try await DemoBackends.endpoint(for: .init(name: "green", port: 0)).bind()
            let upstreams = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await blue.run() }
                    group.addTask { try await green.run() }
                    try await group.waitForAll()
                }
            }
            defer { upstreams.cancel() }

            let repository = try TestRepository()
            try Self.write(repository, bluePort: blue.port, greenPort: green.port, weights: (100, 0))
            try repository.commit("blue")
            let daemon = try GitDaemon.start(exporting: repository.root)
            defer { daemon.stop() }

            let data = try TemporaryDirectory("sluice-canary-agent")
            let apiPort = try freeLoopbackPort()
            let proxyPort = try freeLoopbackPort()
            let arguments = [
                "run", "--repo", "git://127.0.0.1:\(daemon.port)/repo.git", "--path", "app", "--target", "e2e", "--interval", "1s",
                "--data-dir", data.path("state").path, "--api-listen", "127.0.0.1:\(apiPort)",
                "--listener-port-offset", String(proxyPort - 80), "--metrics-listen", "",
                // The port is free on 127.0.0.1; on other loopback addresses nothing else binds it.
                "--gateway-address-pool", "127.0.3.0/29",
            ]
            var agent = try AgentProcess.start(arguments, log: data.path("agent.log"))
            defer { agent.stop(SIGKILL) }
            let kubeconfig = data.path("state/kubeconfig").path
            let written = await eventually(timeout: .seconds(60)) { FileManager.default.fileExists(atPath: kubeconfig) }
            try #require(written != nil, "no kubeconfig:\n\(agent.output)")
            let cluster = try KubeCluster(Kubeconfig.load(path: kubeconfig))
            defer { Task { try await cluster.shutdown() } }
            let gatewayReference = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: "e2e", name: "edge")
            func gatewayAddress() async -> String? {
                try? await cluster.get(gatewayReference)[FieldPath(parsing: "status.addresses")]?.arrayValue?.first?["value"]?.stringValue
            }
            var address = "none"
            let served = await eventually(timeout: .seconds(60)) {
                guard let shown = await gatewayAddress() else { return false }
                address = shown
                return await get(port: proxyPort, address: shown, path: "/", host: "app.e2e.test")?.body.contains("\"backend\":\"blue\"") == true
            }
            try #require(served != nil, "blue was never served at the Gateway's address (\(address)):\n\(agent.output)")
            #expect(address.hasPrefix("127.0.3."))
            // Not at the shared address: the Gateway has its own.
            #expect(await get(port: proxyPort, path: "/", host: "app.e2e.test") == nil)

            let reference = ObjectReference(apiVersion: "sluice.dev/v1alpha1", kind: "Canary", namespace: "e2e", name: "app")
            func status() async -> JSONValue? { try? await cluster.get(reference)[FieldPath(parsing: "status")] }

            try Self.write(repository, bluePort: blue.port, greenPort: green.port, weights: (0, 100))
            try repository.commit("green")
            let atStepTwo = await eventually(timeout: .seconds(60)) {
                let current = await status()
                return current?["phase"]?.stringValue == "Progressing" && current?["step"]?.integerValue == 1
            }
            try #require(atStepTwo != nil, "the rollout never reached step 2:\n\(agent.output.suffix(3000))")
            agent.stop(SIGKILL)

            agent = try AgentProcess.start(arguments, log: data.path("agent.log"))
            let resumedAt = await eventually(timeout: .seconds(30)) {
                agent.output.components(separatedBy: "embedded Kubernetes API").count > 2
            }
            #expect(resumedAt != nil)
            let servedAgain = await eventually(timeout: .seconds(30)) {
                await get(port: proxyPort, address: address, path: "/", host: "app.e2e.test")?.status == 200
            }
            #expect(servedAgain != nil, "not served at \(address) after the restart")
            #expect(await gatewayAddress() == address)
            let promoted = await eventually(timeout: .seconds(90)) { await status()?["phase"]?.stringValue == "Promoted" }
            let final = await status()
            #expect(promoted != nil, "not promoted after the restart: \(String(describing: final))\n\(agent.output.suffix(3000))")

            // Each step entered once, in order, across the kill.
            let history = final?["history"]?.arrayValue ?? []
            let entered = history.compactMap { entry -> Int64? in
                let event = entry["event"]?.stringValue
                return event == "RolloutStarted" || event == "StepAdvanced" ? entry["step"]?.integerValue : nil
            }
            #expect(entered == [0, 1, 2], "steps entered: \(entered); history: \(history.map { $0.jsonText() })")
            #expect(history.filter { $0["event"]?.stringValue == "Promoted" }.count == 1)
            let route = try await cluster.get(ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: "e2e", name: "app"))
            let weights = (route[FieldPath(parsing: "spec.rules[0].backendRefs")]?.arrayValue ?? []).compactMap { $0["weight"]?.integerValue }
            #expect(weights == [0, 100])
            print("canary through kill -9 at step 2: promoted \(promoted.map { "\($0)" } ?? "never") after the restart; steps entered \(entered)")
        }
    }
}
