import Foundation
import SluiceCanary
import SluiceModel
import SluiceTestSupport
import Testing

@Suite("The Canary resource and its CustomResourceDefinition")
struct CanaryResourceTests {
    var catalog: SchemaCatalog {
        var catalog = SchemaCatalog()
        catalog.add(crd: CanarySpec.customResourceDefinition)
        return catalog
    }

    static let example = """
        apiVersion: sluice.dev/v1alpha1
        kind: Canary
        metadata: {name: shop, namespace: demo}
        spec:
          routeRef: {kind: HTTPRoute, name: shop}
          steps: [10, 50, 100]
          interval: 30s
          probes:
          - name: health
            request: {method: GET, path: /health, hostname: shop.example.test, headers: {}}
            expect: {status: [200], maxLatency: 500ms, bodyContains: ""}
            every: 1s
          successRate: 0.99
          minRequests: 20
          failureLimit: 2
          manualGates: []
        """

    @Test("the issue's example is valid and reads as a typed Canary")
    func example() throws {
        let object = try YAMLDecoder().objects(Self.example, file: "canary.yaml")[0]
        #expect(catalog.problems(in: object) == [])
        let canary: Canary = try object.decode()
        #expect(canary.spec.steps == [10, 50, 100])
        #expect(canary.spec.probes?.first?.expect?.status == [200])
        #expect(try GoDuration.parse(canary.spec.interval ?? "") == .seconds(30))
    }

    @Test("mistakes are refused with their field paths", arguments: [
        ("steps: [0, 50]", "spec.steps[0]"),
        ("steps: [10, 500]", "spec.steps[1]"),
        ("steps: []", "spec.steps"),
        ("interval: soon", "spec.interval"),
        ("successRate: 1.5", "spec.successRate"),
        ("routeRef: {name: shop, rule: 0, ruleName: api}", "spec.routeRef"),
        ("routeRef: {kind: Service, name: shop}", "spec.routeRef.kind"),
        ("manualGates: [afterLunch]", "spec.manualGates[0]"),
    ])
    func invalid(line: String, field: String) throws {
        let key = String(line.prefix { $0 != ":" })
        let text = Self.example.split(separator: "\n").filter { !$0.hasPrefix("  \(key):") }.joined(separator: "\n")
            + "\n  \(line)\n"
        let object = try YAMLDecoder().objects(text, file: "canary.yaml")[0]
        let problems = catalog.problems(in: object) ?? []
        #expect(problems.map(\.fieldText).contains(field), "\(problems.map { "\($0.fieldText): \($0.body)" })")
    }

    @Test("steps must rise: a check the schema cannot express")
    func risingSteps() {
        let spec = CanarySpec(routeRef: .init(name: "shop"), steps: [10, 50, 50, 20])
        #expect(spec.problems() == [
            "spec.steps[2]: 50 must be greater than the step before it (50)",
            "spec.steps[3]: 20 must be greater than the step before it (50)",
        ])
    }

    @Test("deploy/ carries the same CRD the package installs")
    func deployCopy() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = root.appendingPathComponent("deploy/crds/canaries.sluice.dev.yaml")
        #expect(try String(contentsOf: file, encoding: .utf8) == CanarySpec.customResourceDefinitionYAML)
    }
}
