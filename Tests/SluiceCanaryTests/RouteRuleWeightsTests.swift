import SluiceCanary
import SluiceModel
import SluiceTestSupport
import Testing

@Suite("Reading and overlaying a route rule's weights")
struct RouteRuleWeightsTests {
    static let route = try! YAMLDecoder().objects("""
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: shop, namespace: demo}
        spec:
          rules:
          - name: api
            matches: [{path: {type: PathPrefix, value: /api}}]
            backendRefs:
            - {name: blue, port: 8080, weight: 100}
            - {name: green, port: 8080}
          - name: static
            backendRefs:
            - {name: cdn, namespace: edge, port: 80, weight: 0}
        """, file: "route.yaml")[0]

    @Test("backends of a named rule, weight defaulting to 1")
    func backends() throws {
        let backends = try RouteRuleSelector(ruleName: "api").backends(of: Self.route)
        #expect(backends.map(\.description) == ["blue:8080", "green:8080"])
        #expect(backends.map(\.weight) == [100, 1])
        #expect(try RouteRuleSelector(ruleIndex: 1).backends(of: Self.route).map(\.description) == ["edge/cdn:80"])
    }

    @Test("the overlay changes only the selected rule's weights")
    func overlay() throws {
        let overlaid = try RouteRuleSelector(ruleName: "api").overlay([10, 90], on: Self.route)
        #expect(overlaid[FieldPath(parsing: "spec.rules[0].backendRefs[0].weight")] == .integer(10))
        #expect(overlaid[FieldPath(parsing: "spec.rules[0].backendRefs[1].weight")] == .integer(90))
        #expect(overlaid[FieldPath(parsing: "spec.rules[1]")] == Self.route[FieldPath(parsing: "spec.rules[1]")])
        #expect(overlaid[FieldPath(parsing: "spec.rules[0].matches")] == Self.route[FieldPath(parsing: "spec.rules[0].matches")])
    }

    @Test("a missing or ambiguous rule is named in the error")
    func errors() {
        #expect(throws: RouteRuleSelector.Failure(
            route: Self.route.reference, message: "no rule named \"web\" in spec.rules")) {
            try RouteRuleSelector(ruleName: "web").backends(of: Self.route)
        }
        #expect(throws: RouteRuleSelector.Failure(
            route: Self.route.reference,
            message: "the route has 2 rules: name one with routeRef.ruleName or routeRef.rule")) {
            try RouteRuleSelector().backends(of: Self.route)
        }
        #expect(throws: RouteRuleSelector.Failure.self) {
            try RouteRuleSelector(ruleName: "api").overlay([1, 2, 3], on: Self.route)
        }
    }

    @Test("live weights line up with Git's backends; a new backend starts at 0")
    func align() {
        let live = [RouteRuleSelector.Backend(name: "blue", port: 8080, weight: 100)]
        let desired = [
            RouteRuleSelector.Backend(name: "blue", port: 8080, weight: 0),
            RouteRuleSelector.Backend(name: "green", port: 8080, weight: 100),
        ]
        #expect(RouteRuleSelector.align(live: live, to: desired) == [100, 0])
    }
}
