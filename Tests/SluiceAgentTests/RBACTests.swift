import Foundation
import SluiceModel
import SluiceTestSupport
import Testing

extension AgentProcessSuites {
    /// deploy/rbac.yaml against the calls Sluice really makes: a full agent run in cluster mode
    /// (`--kubeconfig`, leader election, as in a pod) over example-repo — sync of every target,
    /// the proxy core's watches and statuses, drift in both modes, a canary rollout, a prune —
    /// against `sluice api-server --audit-log-path`, whose audit log lists every request.
    @Suite struct RBACTests {
        /// One call, in RBAC's terms.
        struct Call: Hashable, CustomStringConvertible {
            var verb: String
            var group: String
            var resource: String
            var namespace: String
            var description: String { "\(verb) \(group.isEmpty ? "core" : group)/\(resource)\(namespace.isEmpty ? "" : " in \(namespace)")" }
        }

        /// One granted (group, resource, verb), and whether only in sluice-system.
        struct Grant: Hashable, CustomStringConvertible {
            var group: String
            var resource: String
            var verb: String
            var namespace: String?
            var description: String { "\(verb) \(group.isEmpty ? "core" : group)/\(resource)\(namespace.map { " in \($0)" } ?? "")" }

            func allows(_ call: Call) -> Bool {
                group == call.group && resource == call.resource && verb == call.verb && (namespace == nil || namespace == call.namespace)
            }
        }

        static func grants() throws -> [Grant] {
            let text = try String(contentsOf: DeployManifestTests.deploy.appendingPathComponent("rbac.yaml"), encoding: .utf8)
            var grants: [Grant] = []
            for role in try YAMLDecoder().objects(text, file: "deploy/rbac.yaml") where role.kind == "ClusterRole" || role.kind == "Role" {
                let namespace = role.kind == "Role" ? role.namespace : nil
                for rule in role[FieldPath(parsing: "rules")]?.arrayValue ?? [] {
                    let strings = { (key: String) in rule[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
                    for group in strings("apiGroups") {
                        for resource in strings("resources") {
                            for verb in strings("verbs") { grants.append(Grant(group: group, resource: resource, verb: verb, namespace: namespace)) }
                        }
                    }
                }
            }
            return grants
        }

        /// Grants the test run does not make, each with its reason, from rbac.yaml's comment
        /// lines `#   not exercised: VERB[,VERB] GROUP/RESOURCE[,RESOURCE]: reason`.
        static func justified() throws -> [(verbs: Set<String>, group: String, resources: Set<String>)] {
            let text = try String(contentsOf: DeployManifestTests.deploy.appendingPathComponent("rbac.yaml"), encoding: .utf8)
            return text.split(separator: "\n").compactMap { line in
                guard let range = line.range(of: "# not exercised: ") else { return nil }
                let parts = line[range.upperBound...].split(separator: " ", maxSplits: 2)
                guard parts.count == 3, parts[2].hasPrefix(":") == false, let slash = parts[1].firstIndex(of: "/") else { return nil }
                let group = String(parts[1][..<slash]) == "core" ? "" : String(parts[1][..<slash])
                let resources = parts[1][parts[1].index(after: slash)...].trimmingCharacters(in: CharacterSet(charactersIn: ":"))
                return (Set(parts[0].split(separator: ",").map(String.init)), group, Set(resources.split(separator: ",").map(String.init)))
            }
        }

        /// The agent's calls in the audit log (kubectl's, the test's own, are left out). A
        /// server-side apply that creates its object (answered 201) is authorized as `create`
        /// as well as `patch` by kube-apiserver (docs: "api-concepts", patch and apply), so it
        /// counts as both.
        static func calls(inAuditLog url: URL) throws -> Set<Call> {
            var calls: Set<Call> = []
            for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
                guard let event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    (event["userAgent"] as? String)?.hasPrefix("sluice/") == true,
                    let reference = event["objectRef"] as? [String: Any], let verb = event["verb"] as? String
                else { continue }
                let resource = (reference["resource"] as? String ?? "") + ((reference["subresource"] as? String).map { "/\($0)" } ?? "")
                let call = Call(verb: verb, group: reference["apiGroup"] as? String ?? "", resource: resource, namespace: reference["namespace"] as? String ?? "")
                calls.insert(call)
                if verb == "patch", (event["responseStatus"] as? [String: Any])?["code"] as? Int == 201 {
                    calls.insert(Call(verb: "create", group: call.group, resource: call.resource, namespace: call.namespace))
                }
            }
            return calls
        }

        func kubectl(_ kubeconfig: String, _ arguments: String...) async throws -> Shell.Outcome {
            try await Shell.outcomeOnThread(["kubectl", "--kubeconfig", kubeconfig] + arguments)
        }

        @Test("every call a full agent run makes is granted by deploy/rbac.yaml, and every grant is used or justified")
        func leastPrivilege() async throws {
            let data = try TemporaryDirectory("sluice-rbac-run")
            let audit = data.path("audit.log")
            let apiPort = try freeLoopbackPort()
            let apiServer = try AgentProcess.start(
                ["api-server", "--data-dir", data.path("api").path, "--api-listen", "127.0.0.1:\(apiPort)", "--audit-log-path", audit.path],
                log: data.path("api.log"))
            defer { apiServer.stop() }
            let kubeconfig = data.path("api/kubeconfig").path
            try #require(await eventually(timeout: .seconds(30)) { FileManager.default.fileExists(atPath: kubeconfig) } != nil)
            try waitForListener(port: apiPort)
            // What deploy/ installs before Sluice starts, applied as the cluster's administrator.
            for file in ["namespace.yaml", "crds/canaries.sluice.dev.yaml", "gatewayclass.yaml"] {
                let path = DeployManifestTests.deploy.appendingPathComponent(file).path
                let installed = try await kubectl(kubeconfig, "apply", "--server-side", "-f", path)
                try #require(installed.status == 0, "\(file): \(installed.errorOutput)")
            }

            let repository = try TestRepository()
            try ExampleRepository.copy(into: repository)
            // An object to prune later.
            try repository.write("shared/extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pruned-later\ndata:\n  a: b\n")
            let kustomization = try String(contentsOf: repository.work.appendingPathComponent("shared/kustomization.yaml"), encoding: .utf8)
            try repository.write("shared/kustomization.yaml", kustomization.replacingOccurrences(of: "  - referencegrant.yaml\n", with: "  - referencegrant.yaml\n  - extra.yaml\n"))
            try repository.commit("example-repo")
            let daemon = try GitDaemon.start(exporting: repository.root)
            defer { daemon.stop() }

            let agent = try AgentProcess.start(
                [
                    "run", "--repo", "git://127.0.0.1:\(daemon.port)/repo.git", "--interval", "2s", "--kubeconfig", kubeconfig,
                    "--data-dir", data.path("agent").path, "--lease-duration", "3s", "--demo-backends",
                    "--listener-port-offset", String(try freeLoopbackPort() - 80), "--metrics-listen", "",
                ], log: data.path("agent.log"))
            defer { agent.stop() }

            func inventories() async throws -> String {
                try await kubectl(kubeconfig, "-n", "sluice-system", "get", "configmaps", "-o", "name").output
            }
            let synced = await eventually(timeout: .seconds(90)) {
                let names = (try? await inventories()) ?? ""
                return ["shared", "staging", "production"].allSatisfy { names.contains("sluice-inventory-\($0)") }
            }
            try #require(synced != nil, "the example repository was not synced:\n\(agent.output.suffix(3000))")

            // The proxy core's status writes (Gateway and HTTPRoute status) come after the sync; on
            // a loaded machine they may take a while, and the run must include them.
            let statusesWritten = await eventually(timeout: .seconds(60)) {
                let route = try? await kubectl(kubeconfig, "-n", "shop", "get", "httproute", "shop", "-o", "jsonpath={.status.parents[*].conditions[*].type}")
                let gateway = try? await kubectl(kubeconfig, "-n", "shop", "get", "gateway", "edge", "-o", "jsonpath={.status.conditions[*].type}")
                return route?.output.contains("Accepted") == true && gateway?.output.contains("Programmed") == true
            }
            #expect(statusesWritten != nil, "no Gateway/HTTPRoute status written:\n\(agent.output.suffix(2000))")

            // Drift in both modes: staging corrects it, production only records it.
            for namespace in ["shop-staging", "shop"] {
                let patch = try await kubectl(
                    kubeconfig, "-n", namespace, "patch", "httproute", "shop", "--type=merge", "-p", #"{"spec":{"hostnames":["drifted.example.test"]}}"#)
                #expect(patch.status == 0, "\(patch.errorOutput)")
            }
            let driftRecorded = await eventually(timeout: .seconds(30)) {
                ((try? await inventories()) ?? "").contains("sluice-drift-production")
            }
            #expect(driftRecorded != nil, "no drift record:\n\(agent.output.suffix(2000))")

            // A canary rollout to green, then a prune.
            try ExampleRepository.setWeights(blue: 0, green: 100, in: repository)
            try repository.commit("to green")
            let rolled = await eventually(timeout: .seconds(60)) {
                let weights = try? await kubectl(
                    kubeconfig, "-n", "shop-staging", "get", "httproute", "shop", "-o", "jsonpath={.spec.rules[0].backendRefs[*].weight}")
                return weights?.output == "0 100"
            }
            print("RBAC run: canary in staging \(rolled.map { "reached 0/100 after \($0)" } ?? "did not finish in 60 s")")
            try repository.write("shared/kustomization.yaml", kustomization)
            try FileManager.default.removeItem(at: repository.work.appendingPathComponent("shared/extra.yaml"))
            try repository.commit("drop the extra ConfigMap")
            let pruned = await eventually(timeout: .seconds(30)) {
                let outcome = try? await kubectl(kubeconfig, "-n", "shop-certs", "get", "configmap", "pruned-later")
                return outcome.map { $0.status != 0 } ?? false
            }
            #expect(pruned != nil, "the ConfigMap was not pruned:\n\(agent.output.suffix(2000))")
            #expect(agent.stop(SIGTERM) == 0, "\(agent.output.suffix(2000))")

            let calls = try Self.calls(inAuditLog: audit)
            let grants = try Self.grants()
            #expect(calls.count > 10, "the audit log holds \(calls.count) calls")
            let refused = calls.filter { call in !grants.contains { $0.allows(call) } }
            #expect(refused.isEmpty, "calls deploy/rbac.yaml does not grant:\n\(refused.map(\.description).sorted().joined(separator: "\n"))")
            let justified = try Self.justified()
            let unused = Set(grants.filter { grant in
                !calls.contains { grant.allows($0) }
                    && !justified.contains { $0.group == grant.group && $0.resources.contains(grant.resource) && $0.verbs.contains(grant.verb) }
            })
            #expect(unused.isEmpty, "grants neither used nor justified:\n\(unused.map(\.description).sorted().joined(separator: "\n"))")
            print("RBAC: \(calls.count) distinct calls:\n" + calls.map(\.description).sorted().joined(separator: "\n"))
        }
    }
}
