import Foundation
import SluiceKube
import SluiceModel
import SluiceTestSupport
import Testing

extension AgentProcessSuites {
    /// No token, password or Secret data is ever logged: a whole `sluice run` on the embedded
    /// default at debug level, over example-repo with a TLS Secret and a secretGenerator literal,
    /// fetched over smart HTTP with a bearer token, with webhooks (signed and not) and drift on
    /// the Secret; then all of its output is searched for each secret value and its base64.
    @Suite struct SecretLogTests {
        static var gitHTTPServer: URL {
            AgentProcess.package.appendingPathComponent("Tests/SluiceGitTests/Support/git-http-server.py")
        }

        /// `git http-backend` behind the SluiceGit tests' server, demanding `token`.
        static func startGitServer(exporting root: URL, token: String) throws -> ServerProcess {
            let (pid, stdout) = try ServerProcess.launch(
                ["python3", gitHTTPServer.path, "--root", root.path, "--token", token], outputTo: root.appendingPathComponent("../http.log"))
            var line = Data()
            while let byte = try stdout.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
            let text = String(decoding: line, as: UTF8.self)
            guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
                kill(pid, SIGKILL)
                _ = Subprocess.wait(pid)
                throw Shell.Failure(command: ["git-http-server.py"], status: -1, stderr: "server did not start: \(text)")
            }
            return ServerProcess(pid: pid, port: port)
        }

        static func random(_ prefix: String) -> String {
            prefix + "-" + (0..<4).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 36) }.joined()
        }

        @Test("a debug-level run over Secrets, tokens and webhooks logs none of their values")
        func noSecretInLogs() async throws {
            let gitToken = Self.random("git-token")
            let webhookSecret = Self.random("webhook-secret")
            let password = Self.random("generated-password")
            let drifted = Self.random("drifted-key")

            let repository = try TestRepository()
            try ExampleRepository.copy(into: repository)
            let kustomization = try String(contentsOf: repository.work.appendingPathComponent("shared/kustomization.yaml"), encoding: .utf8)
            try repository.write("shared/kustomization.yaml", kustomization.replacingOccurrences(
                of: "secretGenerator:\n", with: "secretGenerator:\n  - name: shop-credentials\n    literals:\n      - password=\(password)\n"))
            try repository.commit("example-repo with a generated password")
            let server = try Self.startGitServer(exporting: repository.root, token: gitToken)
            defer { server.stop() }

            let data = try TemporaryDirectory("sluice-secrets")
            let proxyPort = try freeLoopbackPort()
            let webhookPort = try freeLoopbackPort()
            let url = "http://127.0.0.1:\(server.port)/repo.git"
            let agent = try AgentProcess.start(
                [
                    "run", "--repo", url, "--interval", "2s", "--log-level", "debug", "--demo-backends",
                    "--data-dir", data.path("state").path, "--api-listen", "127.0.0.1:0",
                    "--listener-port-offset", String(proxyPort - 80), "--metrics-listen", "",
                    "--webhook-listen", "127.0.0.1:\(webhookPort)",
                ], log: data.path("agent.log"), environment: ["SLUICE_GIT_TOKEN": gitToken, "SLUICE_WEBHOOK_SECRET": webhookSecret])
            defer { agent.stop() }
            let kubeconfig = data.path("state/kubeconfig").path
            let secretReference = ObjectReference(apiVersion: "v1", kind: "Secret", namespace: "shop-certs", name: "shop-tls")
            var cluster: KubeCluster?
            let synced = await eventually(timeout: .seconds(90)) {
                guard FileManager.default.fileExists(atPath: kubeconfig) else { return false }
                if cluster == nil { cluster = try? KubeCluster(Kubeconfig.load(path: kubeconfig)) }
                return (try? await cluster?.get(secretReference)) != nil && agent.output.contains("synced production")
            }
            let connected = cluster
            defer { if let connected { Task { try await connected.shutdown() } } }
            try #require(synced != nil, "not synced:\n\(agent.output.suffix(3000))")

            // Webhooks, signed and forged; then drift on the Secret's key (the target corrects it).
            #expect(await sendWebhook(port: webhookPort, secret: webhookSecret, repository: url) == 202)
            #expect(await sendWebhook(port: webhookPort, secret: "not-\(webhookSecret)", repository: url) == 401)
            let encodedDrift = Data(drifted.utf8).base64EncodedString()
            let patch = try await Shell.outcomeOnThread([
                "kubectl", "--kubeconfig", kubeconfig, "-n", "shop-certs", "patch", "secret", "shop-tls", "--type=merge",
                "-p", #"{"data":{"tls.key":"\#(encodedDrift)"}}"#,
            ])
            #expect(patch.status == 0, "\(patch.errorOutput)")
            let corrected = await eventually(timeout: .seconds(30)) { agent.output.contains("drift corrected: Secret shop-certs/shop-tls") }
            #expect(corrected != nil, "the Secret's drift was not corrected:\n\(agent.output.suffix(2000))")
            #expect(agent.output.contains("drift detected: Secret shop-certs/shop-tls drifted (changed by kubectl-patch): data.tls.key: <redacted> → <redacted>"),
                "the drift report does not show the redaction")
            #expect(agent.stop(SIGTERM) == 0)

            let apiToken = try String(contentsOf: data.path("state/pki/token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let key = try String(contentsOf: ExampleRepository.source.appendingPathComponent("shared/tls.key"), encoding: .utf8)
            let certificate = try String(contentsOf: ExampleRepository.source.appendingPathComponent("shared/tls.crt"), encoding: .utf8)
            // The key's PEM body lines, each also a piece of what a log could print.
            let keyLines = key.split(separator: "\n").filter { !$0.hasPrefix("-----") }.map(String.init)
            var secrets: [(what: String, value: String)] = [
                ("Git bearer token", gitToken), ("webhook secret", webhookSecret), ("embedded API token", apiToken),
                ("secretGenerator literal", password), ("drifted Secret value", drifted),
                ("TLS key (Secret data)", Data(key.utf8).base64EncodedString()),
                ("TLS certificate (Secret data)", Data(certificate.utf8).base64EncodedString()),
            ]
            for (what, value) in secrets where !what.contains("(Secret data)") {
                secrets.append(("\(what), base64", Data(value.utf8).base64EncodedString()))
            }
            for (index, line) in keyLines.enumerated() { secrets.append(("TLS key PEM line \(index + 1)", line)) }
            let output = agent.output
            #expect(output.count > 5_000, "the log is too short to prove anything (\(output.count) bytes)")
            for (what, value) in secrets {
                #expect(!value.isEmpty && !output.contains(value), "the log shows the \(what)")
            }
            print("secret grep: \(secrets.count) values searched in \(output.count) bytes of debug log, none found")
        }
    }
}
