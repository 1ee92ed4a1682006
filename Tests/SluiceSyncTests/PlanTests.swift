import SluiceModel
import SluiceSync
import Testing

@Suite("Apply order, change sets and the inventory")
struct PlanTests {
    static let objects = try! YAMLDecoder().objects("""
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: shop, namespace: demo}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: sluice}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: demo}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: edge, namespace: demo}
        ---
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: canaries.sluice.dev}
        """, file: "all.yaml")

    @Test("CRDs and Namespaces, then classes, then the rest, each in render order")
    func stages() {
        let plan = ApplyPlan(Self.objects)
        #expect(plan.stages.map(\.stage) == [.definitions, .classes, .resources])
        #expect(plan.stages.map { $0.objects.map(\.name) } == [["demo", "canaries.sluice.dev"], ["sluice"], ["shop", "edge"]])
    }

    @Test("a change set prints as Flux logs it and sums up")
    func changeSet() {
        var changes = ChangeSet()
        changes.append(Self.objects[0].reference, .configured)
        changes.append(Self.objects[2].reference, .unchanged)
        changes.append(Self.objects[3].reference, .skipped, reason: "prune disabled by annotation sluice.dev/prune")
        #expect(changes.entries.map(\.description) == [
            "HTTPRoute/demo/shop configured", "Namespace/demo unchanged",
            "Gateway/demo/edge skipped (prune disabled by annotation sluice.dev/prune)",
        ])
        #expect(changes.summary == "1 configured, 1 unchanged, 1 skipped")
        #expect(changes.changedAnything)
        #expect(!ChangeSet().changedAnything)
        #expect(ChangeSet().summary == "nothing to do")
    }

    @Test("the inventory round-trips through its ConfigMap")
    func inventoryRoundTrip() throws {
        let inventory = Inventory(target: "staging", revision: "main@sha1:6113728f", objects: Self.objects.map(\.reference))
        let configMap = inventory.configMap(namespace: "sluice-system")
        #expect(configMap.name == "sluice-inventory-staging")
        #expect(configMap[FieldPath(parsing: "data.entries")]?.stringValue == """
            _canaries.sluice.dev_apiextensions.k8s.io_CustomResourceDefinition_v1
            _demo__Namespace_v1
            _sluice_gateway.networking.k8s.io_GatewayClass_v1
            demo_edge_gateway.networking.k8s.io_Gateway_v1
            demo_shop_gateway.networking.k8s.io_HTTPRoute_v1

            """)
        #expect(try Inventory(configMap: configMap) == inventory)
    }

    @Test("a corrupt entry is named, not skipped")
    func corruptInventory() throws {
        var configMap = Inventory(target: "staging", revision: nil, objects: []).configMap(namespace: "sluice-system")
        configMap.content["data"] = ["target": "staging", "entries": "demo_shop_HTTPRoute\n"]
        #expect(throws: Inventory.ReadError.self) { try Inventory(configMap: configMap) }
    }

    @Test("stale entries are those Git dropped, routes before their Gateways and Namespaces")
    func stale() {
        let inventory = Inventory(target: "staging", revision: nil, objects: Self.objects.map(\.reference))
        let desired = [Self.objects[1].reference, Self.objects[4].reference]
        #expect(inventory.stale(comparedWith: desired).map(\.id) == [
            "demo_edge_gateway.networking.k8s.io_Gateway", "demo_shop_gateway.networking.k8s.io_HTTPRoute", "_demo__Namespace",
        ])
        var upgraded = Self.objects[0].reference
        upgraded.apiVersion = "gateway.networking.k8s.io/v1beta1"
        #expect(!inventory.stale(comparedWith: [upgraded]).map(\.id).contains("demo_shop_gateway.networking.k8s.io_HTTPRoute"),
                "a new version of the same object is not stale")
    }

    @Test("an empty revision does not prune everything unless allowed")
    func emptyRevision() throws {
        let inventory = Inventory(target: "staging", revision: nil, objects: Self.objects.map(\.reference))
        #expect(throws: EmptyRevisionGuard.Refusal(target: "staging", wouldDelete: 5)) {
            try EmptyRevisionGuard.check(target: "staging", desired: [], inventory: inventory, allowEmpty: false)
        }
        try EmptyRevisionGuard.check(target: "staging", desired: [], inventory: inventory, allowEmpty: true)
        try EmptyRevisionGuard.check(target: "staging", desired: [], inventory: nil, allowEmpty: false)
    }
}
