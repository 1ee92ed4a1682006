import SluiceModel
import Testing

/// Transition rules (`oldSelf`) run on updates, as the API server runs them.
struct TransitionRuleTests {
    @Test("GatewayClass controllerName is immutable: refused on update, free on create")
    func controllerNameImmutable() throws {
        func gatewayClass(_ controller: String) throws -> Object {
            try YAMLDecoder().objects("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: GatewayClass
                metadata: {name: edge}
                spec: {controllerName: \(controller)}
                """, file: "class.yaml")[0]
        }
        let catalog = KindCatalog.builtInSchemas
        #expect(catalog.problems(in: try gatewayClass("example.test/two"))?.isEmpty == true)
        let problems = catalog.problems(in: try gatewayClass("example.test/two"), old: try gatewayClass("example.test/one")) ?? []
        #expect(problems.map(\.description) == ["spec.controllerName: Invalid value: Value is immutable"], "\(problems)")
        #expect(catalog.problems(in: try gatewayClass("example.test/one"), old: try gatewayClass("example.test/one"))?.isEmpty == true)
    }
}
