import Foundation
import SluiceKube
import SluiceModel
import SluiceSync
import SluiceTestSupport
import Testing

/// The sync engine against EmbeddedCluster, or against a real API server when
/// SLUICE_TEST_KUBECONFIG names a kubeconfig (use a throwaway cluster: the tests create
/// namespaces, GatewayClasses and a CRD of their own).
@Suite("Sync: validate, plan, apply, prune")
struct SyncEngineTests {
    static func revision(namespace: String, weights: (Int, Int) = (90, 10), routes: [String] = ["shop"], extra: String = "") -> [Object] {
        var text = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: \(namespace)}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: sluice-\(namespace)}
            spec: {controllerName: sluice.dev/gateway-controller}
            """
        for route in routes {
            text += """

                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: \(route), namespace: \(namespace)}
                spec:
                  rules:
                  - backendRefs:
                    - {name: blue, port: 8080, weight: \(weights.0)}
                    - {name: green, port: 8080, weight: \(weights.1)}
                """
        }
        return try! YAMLDecoder().objects(text + extra, file: "revision.yaml")
    }

    /// One client for the whole run (a KubeCluster must be shut down before it is released).
    static let realCluster: KubeCluster? = {
        guard let path = ProcessInfo.processInfo.environment["SLUICE_TEST_KUBECONFIG"], !path.isEmpty else { return nil }
        return try? KubeCluster(Kubeconfig.load(path: path))
    }()

    func engine() async throws -> (SyncEngine, any Cluster, TemporaryDirectory) {
        let directory = try TemporaryDirectory("sync")
        let cluster: any Cluster
        if let real = Self.realCluster {
            cluster = real
        } else {
            cluster = try await EmbeddedCluster(dataDirectory: directory.url)
        }
        return (SyncEngine(cluster: cluster), cluster, directory)
    }

    func resourceVersion(_ cluster: any Cluster, _ reference: ObjectReference) async throws -> String? {
        try await cluster.get(reference).metadata["resourceVersion"]?.stringValue
    }

    @Test("first sync creates in stages; the same revision again writes nothing")
    func createThenUnchanged() async throws {
        let (engine, cluster, directory) = try await engine()
        let target = SyncTarget(name: "demo")
        let objects = Self.revision(namespace: "demo")
        let first = try await engine.sync(objects, revision: "r1", target: target)
        #expect(first.changes.entries.map(\.description) == [
            "Namespace/demo created", "GatewayClass/sluice-demo created", "HTTPRoute/demo/shop created",
        ])
        let version = try await resourceVersion(cluster, objects[2].reference)
        let second = try await engine.sync(objects, revision: "r1", target: target)
        #expect(second.changes.summary == "3 unchanged")
        #expect(try await resourceVersion(cluster, objects[2].reference) == version, "nothing was written")
        _ = directory
    }

    @Test("a CRD and its custom resources in one revision: the CRD is applied and Established first")
    func customResourceDefinitionFirst() async throws {
        let (engine, cluster, directory) = try await engine()
        let objects = try YAMLDecoder().objects("""
            apiVersion: example.test/v1
            kind: Widget
            metadata: {name: w, namespace: default}
            spec: {size: 3}
            ---
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: widgets.example.test}
            spec:
              group: example.test
              scope: Namespaced
              names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
              versions:
                - name: v1
                  served: true
                  storage: true
                  schema:
                    openAPIV3Schema:
                      type: object
                      properties:
                        spec: {type: object, properties: {size: {type: integer, maximum: 10}}}
            """, file: "crd.yaml")
        let result = try await engine.sync(objects, revision: "r1", target: SyncTarget(name: "crd"))
        #expect(result.changes.entries.map(\.description) == [
            "CustomResourceDefinition/widgets.example.test created", "Widget/default/w created",
        ])
        let crd = try await cluster.get(objects[1].reference)
        let conditions = crd[FieldPath(parsing: "status.conditions")]?.arrayValue ?? []
        #expect(conditions.contains { $0["type"]?.stringValue == "Established" && $0["status"]?.stringValue == "True" })
        #expect(try await engine.sync(objects, revision: "r1", target: SyncTarget(name: "crd")).changes.summary == "2 unchanged")
        _ = directory
    }

    @Test("an immutable field: a clear error naming the object, or delete and re-create with sluice.dev/force: enabled")
    func immutableField() async throws {
        let (engine, cluster, directory) = try await engine()
        func gatewayClass(_ controller: String, force: Bool = false) -> [Object] {
            let annotations = force ? "\n  annotations: {sluice.dev/force: enabled}" : ""
            return try! YAMLDecoder().objects("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: GatewayClass
                metadata:
                  name: edge\(annotations)
                spec: {controllerName: \(controller)}
                """, file: "class.yaml")
        }
        let target = SyncTarget(name: "immutable")
        _ = try await engine.sync(gatewayClass("example.test/one"), revision: "r1", target: target)
        let uid = try await cluster.get(gatewayClass("x")[0].reference).metadata["uid"]
        do {
            _ = try await engine.sync(gatewayClass("example.test/two"), revision: "r2", target: target)
            Issue.record("a change of an immutable field was accepted")
        } catch {
            guard case .immutableField(let object, let underlying) = error else {
                Issue.record("unexpected error: \(error)")
                return
            }
            #expect(object.name == "edge")
            #expect("\(underlying)".contains("spec.controllerName") && "\(underlying)".contains("Value is immutable"), "\(underlying)")
        }
        let recreated = try await engine.sync(gatewayClass("example.test/two", force: true), revision: "r3", target: target)
        #expect(recreated.changes.summary == "1 configured")
        let live = try await cluster.get(gatewayClass("x")[0].reference)
        #expect(live[FieldPath(parsing: "spec.controllerName")]?.stringValue == "example.test/two")
        #expect(live.metadata["uid"] != uid, "deleted and created anew")
        _ = directory
    }

    @Test("a changed weight is configured; the inventory records what was applied")
    func configure() async throws {
        let (engine, cluster, directory) = try await engine()
        let target = SyncTarget(name: "demo")
        _ = try await engine.sync(Self.revision(namespace: "demo"), revision: "r1", target: target)
        let result = try await engine.sync(Self.revision(namespace: "demo", weights: (50, 50)), revision: "r2", target: target)
        #expect(result.changes.summary == "1 configured, 2 unchanged")
        let live = try await cluster.get(Self.revision(namespace: "demo")[2].reference)
        #expect(live[FieldPath(parsing: "spec.rules[0].backendRefs[1].weight")] == .integer(50))
        let inventory = try await engine.readInventory(target)
        #expect(inventory?.revision == "r2")
        #expect(inventory?.entries.count == 3)
        _ = directory
    }

    @Test("what leaves Git is pruned, unless annotated sluice.dev/prune: disabled")
    func prune() async throws {
        let (engine, cluster, directory) = try await engine()
        let target = SyncTarget(name: "demo")
        let keep = """

            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              name: keep
              namespace: demo
              annotations: {sluice.dev/prune: disabled}
            spec: {}
            """
        _ = try await engine.sync(Self.revision(namespace: "demo", routes: ["shop", "cart"], extra: keep), revision: "r1", target: target)
        let result = try await engine.sync(Self.revision(namespace: "demo", routes: ["shop"]), revision: "r2", target: target)
        #expect(result.changes.entries.filter { $0.action != .unchanged }.map(\.description) == [
            "HTTPRoute/demo/cart deleted",
            "HTTPRoute/demo/keep skipped (prune disabled by annotation sluice.dev/prune)",
        ])
        let cart = Self.revision(namespace: "demo", routes: ["cart"])[2].reference
        await #expect(throws: APIError.self) { _ = try await cluster.get(cart) }
        _ = directory
    }

    @Test("an empty revision prunes nothing unless the target allows it")
    func emptyRevision() async throws {
        let (engine, _, directory) = try await engine()
        _ = try await engine.sync(Self.revision(namespace: "demo"), revision: "r1", target: SyncTarget(name: "demo"))
        await #expect(throws: SyncError.self) {
            _ = try await engine.sync([], revision: "r2", target: SyncTarget(name: "demo"))
        }
        let allowed = try await engine.sync([], revision: "r2", target: SyncTarget(name: "demo", allowEmpty: true))
        #expect(allowed.changes.count(.deleted) == 3)
        _ = directory
    }

    @Test("a revision with an invalid route applies nothing at all")
    func brokenRevision() async throws {
        let (engine, cluster, directory) = try await engine()
        let target = SyncTarget(name: "demo")
        _ = try await engine.sync(Self.revision(namespace: "demo"), revision: "r1", target: target)
        var broken = Self.revision(namespace: "demo", weights: (10, 2_000_000), routes: ["shop"])
        broken += Self.revision(namespace: "demo", routes: ["new"]).suffix(1)
        do {
            _ = try await engine.sync(broken, revision: "r2", target: target)
            Issue.record("an invalid revision was applied")
        } catch {
            guard case .validation(let problems) = error else {
                Issue.record("expected a validation failure, got \(error)")
                return
            }
            #expect(problems == [
                "revision.yaml:17: HTTPRoute demo/shop: spec.rules[0].backendRefs[1].weight: Invalid value: 2000000: "
                    + "spec.rules[0].backendRefs[1].weight in body should be less than or equal to 1000000",
            ])
        }
        let live = try await cluster.get(broken[2].reference)
        #expect(live[FieldPath(parsing: "spec.rules[0].backendRefs[0].weight")] == .integer(90), "the last good revision stays")
        await #expect(throws: APIError.self) { _ = try await cluster.get(broken[3].reference) }
        _ = directory
    }

    @Test("objects without a namespace get the target's")
    func defaultNamespace() async throws {
        let (engine, cluster, directory) = try await engine()
        let objects = try YAMLDecoder().objects("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
            data: {colour: blue}
            """, file: "revision.yaml")
        let result = try await engine.sync(objects, revision: "r1", target: SyncTarget(name: "shop", namespace: "shop"))
        #expect(result.changes.entries.map(\.description) == ["Namespace/shop created", "ConfigMap/shop/settings created"])
        let live = try await cluster.get(ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: "shop", name: "settings"))
        #expect(live[FieldPath(parsing: "data.colour")] == .string("blue"))
        _ = directory
    }
}
