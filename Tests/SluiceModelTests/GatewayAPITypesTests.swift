import OrderedCollections
import SluiceModel
import Testing

@Suite("Typed Gateway API objects: what the proxy and the canary read")
struct GatewayAPITypesTests {
    static func roundTrip(_ object: Object) throws -> (JSONValue, JSONValue) {
        let typed: Object
        switch object.kind {
        case "GatewayClass": typed = try Object(encoding: try object.decode(as: GatewayClass.self))
        case "Gateway": typed = try Object(encoding: try object.decode(as: Gateway.self))
        case "HTTPRoute": typed = try Object(encoding: try object.decode(as: HTTPRoute.self))
        case "GRPCRoute": typed = try Object(encoding: try object.decode(as: GRPCRoute.self))
        case "ReferenceGrant": typed = try Object(encoding: try object.decode(as: ReferenceGrant.self))
        default: throw DecodingFailure(object: object.reference, message: "not a Gateway API kind")
        }
        return (BuiltInSchemaTests.normalized(typed.value), BuiltInSchemaTests.normalized(object.value))
    }

    @Test("every valid example survives decode → encode with every field, defaults included",
          arguments: GatewayAPICorpusTests.valid.map { "\($0.0): \($0.1)" })
    func roundTrips(_ name: String) throws {
        let example = try #require(GatewayAPICorpusTests.valid.first { "\($0.0): \($0.1)" == name })
        let object = try GatewayAPICorpusTests.object(kind: example.0, spec: example.2)
        let crd = try #require(GatewayAPI.customResourceDefinitions.first { $0[FieldPath(parsing: "spec.names.kind")]?.stringValue == example.0 })
        let schema = try #require(StructuralSchema.versions(of: crd)[object.version])
        let defaulted = Object(SchemaValidator().applyingDefaults(to: object.value, schema: schema).objectValue!)
        let (typed, original) = try Self.roundTrip(defaulted)
        #expect(typed == original, "\(BuiltInSchemaTests.firstDifference(typed, original) ?? "")")
    }

    @Test("typed fields read as the route says: weights, matches, listeners")
    func readsFields() throws {
        let text = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: shop, namespace: demo}
            spec:
              parentRefs: [{name: edge, sectionName: https}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /cart}}]
                backendRefs: [{name: blue, port: 8080, weight: 90}, {name: green, port: 8080, weight: 10}]
            """
        let route = try YAMLDecoder().objects(text, file: "shop.yaml")[0].decode(as: HTTPRoute.self)
        #expect(route.metadata.namespace == "demo")
        #expect(route.spec.rules?[0].backendRefs?.map(\.weight) == [90, 10])
        #expect(route.spec.rules?[0].backendRefs?[0].reference.isService == true)
        #expect(route.spec.rules?[0].matches?[0].path == .init(type: "PathPrefix", value: "/cart"))
        #expect(route.spec.parentRefs?[0].sectionName == "https")
    }

    @Test("an object of the wrong shape is a decoding failure naming the object")
    func wrongShape() throws {
        let object = try YAMLDecoder().objects(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: infra}\nspec: {listeners: 3}\n",
            file: "gw.yaml")[0]
        do {
            _ = try object.decode(as: Gateway.self)
            Issue.record("decoded a Gateway without gatewayClassName")
        } catch {
            #expect(error.description.hasPrefix("Gateway infra/gw: cannot read as"))
        }
    }
}
