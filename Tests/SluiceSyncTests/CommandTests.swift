import Foundation
import Logging
import SluiceKube
import SluiceModel
import SluiceSync
import SluiceTestSupport
import Testing

/// `sluice diff`, `sluice apply` and `sluice drift` as a user runs them: the built executable
/// against an EmbeddedCluster served over HTTPS on loopback, through the kubeconfig it writes.
@Suite("sluice diff / apply / drift", .serialized)
struct CommandTests {
    static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sluice = package.appendingPathComponent(".build/debug/sluice").path

    /// A served cluster with revision r1 (Namespace demo, GatewayClass, routes shop and cart at
    /// 90/10) synced as target `demo`.
    final class Served: Sendable {
        let directory: TemporaryDirectory
        let cluster: EmbeddedCluster
        let serving: Task<Void, any Error>
        var kubeconfig: String { directory.path("kubeconfig").path }

        init() async throws {
            directory = try TemporaryDirectory("sluice-cli")
            cluster = try await EmbeddedCluster(dataDirectory: directory.url)
            let server = APIServer(cluster: cluster, credentials: try ServerCredentials.loadOrCreate(in: directory.url), configuration: .init(host: "127.0.0.1", port: 0))
            let running = try await server.bind(writingKubeconfigInto: directory.url)
            serving = Task { try await server.serve(running) }
            _ = try await SyncEngine(cluster: cluster).sync(
                SyncEngineTests.revision(namespace: "demo", routes: ["shop", "cart"]), revision: "r1", target: SyncTarget(name: "demo"))
        }

        /// Writes `text` as `name` in a fresh manifests directory and returns the directory.
        func manifests(_ text: String, name: String = "routes.yaml") throws -> URL {
            let folder = directory.path("manifests-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
            return folder
        }

        func run(_ arguments: [String]) async throws -> Shell.Outcome {
            try await Shell.outcomeOnThread([CommandTests.sluice] + arguments + ["--kubeconfig", kubeconfig])
        }

        func stop() async {
            serving.cancel()
        }
    }

    static func revisionText(weights: (Int, Int), routes: [String]) -> String {
        var text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: sluice-demo}\nspec: {controllerName: sluice.dev/gateway-controller}\n"
        for route in routes {
            text += """
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: \(route), namespace: demo}
                spec:
                  rules:
                  - backendRefs:
                    - {name: blue, port: 8080, weight: \(weights.0)}
                    - {name: green, port: 8080, weight: \(weights.1)}

                """
        }
        return text
    }

    @Test("diff prints a unified diff of changed objects and pruned ones and exits 1; after apply it exits 0")
    func diffThenApply() async throws {
        let served = try await Served()
        let folder = try served.manifests(Self.revisionText(weights: (90, 50), routes: ["shop"]))
        let diff = try await served.run(["diff", folder.path, "--target", "demo"])
        #expect(diff.status == 1, "\(diff.errorOutput)")
        #expect(diff.output.contains("""
            --- live/gateway.networking.k8s.io.v1.HTTPRoute.demo.shop
            +++ merged/gateway.networking.k8s.io.v1.HTTPRoute.demo.shop
            """))
        #expect(diff.output.contains("-      weight: 10\n+      weight: 50\n"))
        #expect(diff.output.contains("--- live/gateway.networking.k8s.io.v1.HTTPRoute.demo.cart\n+++ merged/gateway.networking.k8s.io.v1.HTTPRoute.demo.cart\n"))
        #expect(diff.output.contains("-  name: cart\n"))
        #expect(!diff.output.contains("managedFields"), "bookkeeping fields are left out")
        #expect(!diff.output.contains("HTTPRoute.demo.shop\n+++ merged/v1.Namespace"), "unchanged objects are not shown")

        let apply = try await served.run(["apply", folder.path, "--target", "demo"])
        #expect(apply.status == 0, "\(apply.errorOutput)")
        #expect(apply.output.hasPrefix("""
            Namespace/demo unchanged
            GatewayClass/sluice-demo unchanged
            HTTPRoute/demo/shop configured
            HTTPRoute/demo/cart deleted

            """))
        #expect(apply.output.hasSuffix(": 1 configured, 2 unchanged, 1 deleted\n"))

        let again = try await served.run(["diff", folder.path, "--target", "demo"])
        #expect(again.status == 0, "\(again.errorOutput)")
        #expect(again.output == "")

        let json = try await served.run(["apply", folder.path, "--target", "demo", "-o", "json"])
        let document = try #require(try YAMLDecoder().documents(json.output, file: "apply.json").first?.value)
        #expect(document["summary"] == "3 unchanged")
        await served.stop()
    }

    @Test("a broken revision (invalid YAML, a weight of 2000000) applies nothing and names the place")
    func brokenRevision() async throws {
        let served = try await Served()
        let before = try await served.cluster.get(DriftHarness.shop).metadata["resourceVersion"]

        let invalid = try served.manifests(Self.revisionText(weights: (50, 50), routes: ["shop"]) + "---\nkind: [unclosed\n")
        let yaml = try await served.run(["apply", invalid.path, "--target", "demo"])
        #expect(yaml.status == 1)
        #expect(yaml.errorOutput.contains("routes.yaml:"), "\(yaml.errorOutput)")

        let tooHeavy = try served.manifests(Self.revisionText(weights: (50, 2_000_000), routes: ["shop"]))
        let weight = try await served.run(["apply", tooHeavy.path, "--target", "demo"])
        #expect(weight.status == 1)
        #expect(weight.errorOutput.contains("routes.yaml:17: HTTPRoute demo/shop: spec.rules[0].backendRefs[1].weight: Invalid value: 2000000"), "\(weight.errorOutput)")
        let diff = try await served.run(["diff", tooHeavy.path, "--target", "demo"])
        #expect(diff.status == 1)
        #expect(diff.errorOutput.contains("spec.rules[0].backendRefs[1].weight"))

        #expect(try await served.cluster.get(DriftHarness.shop).metadata["resourceVersion"] == before, "nothing was written")
        #expect(try await served.cluster.get(DriftHarness.cart).name == "cart", "nothing was pruned")
        await served.stop()
    }

    @Test("usage errors exit 2")
    func usage() async throws {
        let outcome = try await Shell.outcomeOnThread([Self.sluice, "diff"])
        #expect(outcome.status == 2)
        let both = try await Shell.outcomeOnThread([Self.sluice, "apply", "somewhere", "--repo", "file:///nowhere"])
        #expect(both.status == 2)
    }

    @Test("sluice drift lists what the detector recorded")
    func driftListing() async throws {
        let served = try await Served()
        let empty = try await served.run(["drift"])
        #expect(empty.status == 0)
        #expect(empty.output == "no drift recorded\n")

        var logger = Logger(label: "cli-test")
        logger.logLevel = .critical
        let detector = DriftDetector(cluster: served.cluster, alerts: DriftAlerts(), logger: logger)
        await detector.track(
            target: SyncTarget(name: "demo"), objects: SyncEngineTests.revision(namespace: "demo", routes: ["shop", "cart"]), mode: .alert, ignore: [])
        let running = Task { try await detector.run() }
        try await waitUntil("initial checks") { await detector.uncheckedCount() == 0 }
        _ = try await served.cluster.serverSideApply(DriftHarness.route("shop", weights: (90, 30)), options: ApplyOptions(fieldManager: "kubectl-edit", force: true))
        try await waitUntil("drift recorded") { try await served.run(["drift"]).output.contains("HTTPRoute demo/shop") }

        let text = try await served.run(["drift", "-n", "sluice-system"]).output
        #expect(text.hasPrefix("TARGET"))
        #expect(text.contains("demo"))
        #expect(text.contains("alert"))
        #expect(text.contains("spec.rules[0].backendRefs[1].weight: 10 → 30 (by kubectl-edit)"))
        let json = try await served.run(["drift", "-o", "json"])
        let document = try #require(try YAMLDecoder().documents(json.output, file: "drift.json").first?.value)
        #expect(document[FieldPath(parsing: "items[0].object.name")] == "shop")
        #expect(document[FieldPath(parsing: "items[0].changes[0].new")] == 30)
        #expect(try await served.run(["drift", "-n", "elsewhere"]).output == "no drift recorded\n")
        running.cancel()
        await served.stop()
    }
}
