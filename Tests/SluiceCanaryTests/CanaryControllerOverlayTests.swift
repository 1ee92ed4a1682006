import Foundation
import Logging
import SluiceCanary
import SluiceKube
import SluiceModel
import SluiceProxy
import SluiceTestSupport
import Testing

/// `CanaryController.overlay` as the agent's sync calls it, against an EmbeddedCluster: no
/// proxy or probes needed, since nothing here runs `run()`.
@Suite("Canary controller: the sync's overlay")
struct CanaryControllerOverlayTests {
    static func route(blue: Int, green: Int) -> Object {
        try! YAMLDecoder().objects("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: shop, namespace: demo}
            spec:
              rules:
              - backendRefs:
                - {name: shop-blue, port: 8080, weight: \(blue)}
                - {name: shop-green, port: 8080, weight: \(green)}
            """, file: "route.yaml")[0]
    }

    static let canary = try! YAMLDecoder().objects("""
        apiVersion: sluice.dev/v1alpha1
        kind: Canary
        metadata: {name: shop, namespace: demo}
        spec:
          routeRef: {name: shop}
          steps: [10, 50, 100]
          interval: 30s
        """, file: "canary.yaml")[0]

    func weights(_ object: Object) -> [Int64] {
        (object[FieldPath(parsing: "spec.rules[0].backendRefs")]?.arrayValue ?? []).compactMap { $0["weight"]?.integerValue }
    }

    @Test("a rollout survives syncs of other targets, which do not carry its Canary")
    func otherTargets() async throws {
        let directory = try TemporaryDirectory("sluice-canary-overlay")
        let cluster = try await EmbeddedCluster(dataDirectory: directory.url)
        let apply = ApplyOptions(fieldManager: "sluice", force: true)
        _ = try await cluster.serverSideApply(Object(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "demo"]]), options: apply)
        _ = try await cluster.serverSideApply(CanarySpec.customResourceDefinition, options: apply)
        _ = try await cluster.serverSideApply(Self.route(blue: 100, green: 0), options: apply)
        _ = try await cluster.serverSideApply(Self.canary, options: apply)

        let controller = CanaryController(
            cluster: cluster, proxy: ProbeTarget { _, _ in nil }, stats: ProxyStats(), clock: TestClock(),
            logger: Logger(label: "test.canary")
        ) {}
        let key = CanaryOverlay<TestClock>.Key(namespace: "demo", name: "shop")
        let overlaid = await controller.overlay([Self.route(blue: 0, green: 100), Self.canary], revision: "r2")
        #expect(weights(overlaid[0]) == [90, 10])
        #expect(await controller.phase(of: key) == .progressing)
        // The status (with the rollout record) is written before the route is applied.
        let status = try await cluster.get(CanaryControl.reference(namespace: "demo", name: "shop")).decode(as: Canary.self).status
        #expect(status?.phase == .progressing)
        #expect(status?.rollout?.step == 0)

        // Another target's sync: its objects, not this Canary.
        let other = await controller.overlay([Self.route(blue: 1, green: 1)].map { route in
            var renamed = route
            renamed.content["metadata"] = ["name": "cart", "namespace": "demo"]
            return renamed
        }, revision: "r2")
        #expect(weights(other[0]) == [1, 1], "objects without a Canary are left alone")
        #expect(await controller.phase(of: key) == .progressing)
        let again = await controller.overlay([Self.route(blue: 0, green: 100), Self.canary], revision: "r2")
        #expect(weights(again[0]) == [90, 10], "still step 1, not restarted")
    }
}
