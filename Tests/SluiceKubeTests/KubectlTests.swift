import Foundation
import SluiceModel
import SluiceTestSupport
import Testing

@testable import SluiceKube

/// kubectl (installed here) as a real client of the embedded API: apply --server-side,
/// get -o yaml, get --watch, describe, delete.
@Suite struct KubectlTests {
    static let route = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: shop
          namespace: default
        spec:
          hostnames:
          - shop.example.com
          rules:
          - backendRefs:
            - name: blue
              port: 80
              weight: 90
            - name: green
              port: 80
              weight: 10

        """

    @Test func applyGetWatchDelete() async throws {
        let server = try await TestServer()
        let kubectl = ["kubectl", "--kubeconfig", server.kubeconfigPath]
        do {
            let file = server.directory.path("route.yaml")
            try Self.route.write(to: file, atomically: true, encoding: .utf8)

            let applied = try await kubectlRun(kubectl + ["apply", "--server-side", "-f", file.path])
            #expect(applied == "httproute.gateway.networking.k8s.io/shop serverside-applied")

            let yaml = try await kubectlRun(kubectl + ["get", "httproute", "shop", "-n", "default", "-o", "yaml", "--show-managed-fields"])
            let object = try YAMLDecoder().objects(yaml, file: "kubectl get").first
            #expect(object?[FieldPath(parsing: "spec.rules[0].backendRefs[0].weight")]?.integerValue == 90)
            #expect(object?[FieldPath(parsing: "spec.rules[0].backendRefs[0].kind")]?.stringValue == "Service")
            #expect(object?.metadata["managedFields"]?.arrayValue?.first?["manager"]?.stringValue == "kubectl")

            let described = try await kubectlRun(kubectl + ["describe", "httproute", "shop"])
            #expect(described.contains("shop.example.com"))

            // get --watch in the background sees the change the next apply makes.
            let output = server.directory.path("watch.out")
            let outputDescriptor = open(output.path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o600)
            let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
            let watcher = try Subprocess.spawn(
                kubectl + ["get", "httproutes", "-n", "default", "--watch", "-o", "custom-columns=NAME:.metadata.name,WEIGHT:.spec.rules[0].backendRefs[0].weight"],
                environment: Shell.environment, stdin: devNull, stdout: outputDescriptor, stderr: outputDescriptor)
            close(outputDescriptor)
            close(devNull)
            try await Task.sleep(for: .seconds(2))
            try Self.route.replacingOccurrences(of: "weight: 90", with: "weight: 40").write(to: file, atomically: true, encoding: .utf8)
            _ = try await kubectlRun(kubectl + ["apply", "--server-side", "-f", file.path])
            var seen = ""
            for _ in 0..<50 {
                seen = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
                if seen.contains("40") { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            kill(watcher, SIGTERM)
            _ = Subprocess.wait(watcher)
            #expect(seen.contains("shop   90"), "watch output: \(seen)")
            #expect(seen.contains("shop   40"), "watch output: \(seen)")

            let deleted = try await kubectlRun(kubectl + ["delete", "-f", file.path])
            #expect(deleted == "httproute.gateway.networking.k8s.io \"shop\" deleted")
            await #expect(throws: Shell.Failure.self) { try await kubectlRun(kubectl + ["get", "httproute", "shop"]) }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test func kubectlConflictShowsTheServerMessage() async throws {
        let server = try await TestServer()
        let kubectl = ["kubectl", "--kubeconfig", server.kubeconfigPath]
        do {
            let file = server.directory.path("route.yaml")
            try Self.route.write(to: file, atomically: true, encoding: .utf8)
            _ = try await kubectlRun(kubectl + ["apply", "--server-side", "--field-manager", "gitops", "-f", file.path])
            try Self.route.replacingOccurrences(of: "weight: 90", with: "weight: 50").write(to: file, atomically: true, encoding: .utf8)
            await #expect {
                try await kubectlRun(kubectl + ["apply", "--server-side", "--field-manager", "canary", "-f", file.path])
            } throws: { error in
                (error as? Shell.Failure)?.stderr.contains("conflict with \"gitops\": .spec.rules") == true
            }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
    @Test("kubectl patch --type=json: operations applied, a failed test refused with kube-apiserver's 422")
    func kubectlJSONPatch() async throws {
        let server = try await TestServer()
        let kubectl = ["kubectl", "--kubeconfig", server.kubeconfigPath]
        do {
            let file = server.directory.path("route.yaml")
            try Self.route.write(to: file, atomically: true, encoding: .utf8)
            _ = try await kubectlRun(kubectl + ["apply", "--server-side", "-f", file.path])
            let patched = try await kubectlRun(kubectl + [
                "patch", "httproute", "shop", "--type=json", "-p",
                #"[{"op":"test","path":"/spec/rules/0/backendRefs/0/weight","value":90},"#
                    + #"{"op":"replace","path":"/spec/rules/0/backendRefs/0/weight","value":30},"#
                    + #"{"op":"add","path":"/spec/hostnames/-","value":"www.example.com"},"#
                    + #"{"op":"remove","path":"/spec/rules/0/backendRefs/1"}]"#,
            ])
            #expect(patched == "httproute.gateway.networking.k8s.io/shop patched")
            let yaml = try await kubectlRun(kubectl + ["get", "httproute", "shop", "-o", "yaml", "--show-managed-fields"])
            let object = try #require(try YAMLDecoder().objects(yaml, file: "kubectl get").first)
            #expect(object[FieldPath(parsing: "spec.rules[0].backendRefs[0].weight")]?.integerValue == 30)
            #expect(object[FieldPath(parsing: "spec.rules[0].backendRefs")]?.arrayValue?.count == 1)
            #expect(object[FieldPath(parsing: "spec.hostnames")] == ["shop.example.com", "www.example.com"])
            let managers = object.metadata["managedFields"]?.arrayValue?.compactMap { $0["operation"]?.stringValue } ?? []
            #expect(managers.contains("Update"), "the patch is an Update by kubectl: \(managers)")

            await #expect {
                try await kubectlRun(kubectl + [
                    "patch", "httproute", "shop", "--type=json", "-p", #"[{"op":"test","path":"/spec/hostnames/0","value":"nope"}]"#,
                ])
            } throws: { error in
                (error as? Shell.Failure)?.stderr.contains("the server rejected our request due to an error in our request") == true
            }
            // A schema violation made by a JSON patch is refused like any other write.
            await #expect {
                try await kubectlRun(kubectl + [
                    "patch", "httproute", "shop", "--type=json", "-p", #"[{"op":"replace","path":"/spec/rules/0/backendRefs/0/weight","value":2000000}]"#,
                ])
            } throws: { error in
                (error as? Shell.Failure)?.stderr.contains("spec.rules[0].backendRefs[0].weight") == true
            }
            // kubectl patch sends a strategic merge patch unless told otherwise: refused for custom
            // resources with kube-apiserver's 415, applied with --type=merge.
            await #expect {
                try await kubectlRun(kubectl + ["patch", "httproute", "shop", "-p", #"{"spec":{"hostnames":["a.example.com"]}}"#])
            } throws: { error in
                (error as? Shell.Failure)?.stderr.contains(
                    "application/strategic-merge-patch+json is not supported by gateway.networking.k8s.io/v1, Kind=HTTPRoute") == true
            }
            let merged = try await kubectlRun(kubectl + [
                "patch", "httproute", "shop", "--type=merge", "-p", #"{"spec":{"hostnames":["a.example.com"]}}"#,
            ])
            #expect(merged == "httproute.gateway.networking.k8s.io/shop patched")
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}

/// Runs kubectl on a Dispatch thread: Shell blocks its thread until the child exits, and the
/// embedded server answering kubectl needs the cooperative threads this test runs on.
func kubectlRun(_ command: [String]) async throws -> String {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try Shell.text(command) })
        }
    }
}
