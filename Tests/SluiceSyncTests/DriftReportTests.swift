import SluiceModel
import SluiceSync
import Testing

@Suite("Drift: the dry run of Sluice's apply against the live object")
struct DriftReportTests {
    func object(_ text: String) throws -> Object {
        try YAMLDecoder().objects(text, file: "test.yaml")[0]
    }

    static let expected = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: shop
          namespace: demo
          resourceVersion: "41"
          managedFields:
          - {manager: sluice, operation: Apply, time: "2026-11-29T03:00:00Z"}
        spec:
          rules:
          - backendRefs:
            - {group: "", kind: Service, name: blue, port: 8080, weight: 90}
            - {group: "", kind: Service, name: green, port: 8080, weight: 10}
        status: {parents: []}
        """

    @Test("a weight changed with kubectl edit is named, old → new, with who changed it")
    func editedWeight() throws {
        let live = try object(Self.expected
            .replacingOccurrences(of: "weight: 90", with: "weight: 50")
            .replacingOccurrences(of: "weight: 10}", with: "weight: 50}")
            .replacingOccurrences(of: "resourceVersion: \"41\"", with: "resourceVersion: \"42\"")
            .replacingOccurrences(
                of: "  - {manager: sluice, operation: Apply, time: \"2026-11-29T03:00:00Z\"}",
                with: """
                      - {manager: sluice, operation: Apply, time: "2026-11-29T03:00:00Z"}
                      - {manager: kubectl-edit, operation: Update, time: "2026-11-29T03:05:00Z"}
                    """))
        let report = try #require(DriftReport.compare(expected: try object(Self.expected), live: live))
        #expect(report.changedBy == ["kubectl-edit"])
        #expect(report.message == """
            HTTPRoute demo/shop drifted (changed by kubectl-edit): spec.rules[0].backendRefs[0].weight: 90 → 50; \
            spec.rules[0].backendRefs[1].weight: 10 → 50
            """)
    }

    @Test("status, resourceVersion and managedFields are never drift")
    func bookkeeping() throws {
        let live = try object(Self.expected
            .replacingOccurrences(of: "status: {parents: []}", with: "status: {parents: [{controllerName: sluice.dev/gateway-controller}]}")
            .replacingOccurrences(of: "resourceVersion: \"41\"", with: "resourceVersion: \"43\"")
            .replacingOccurrences(of: "time: \"2026-11-29T03:00:00Z\"", with: "time: \"2026-11-29T03:09:00Z\""))
        #expect(DriftReport.compare(expected: try object(Self.expected), live: live) == nil)
    }

    @Test("ignore rules drop the fields other controllers own")
    func ignored() throws {
        let live = try object(Self.expected.replacingOccurrences(of: "weight: 90", with: "weight: 70"))
        let rule = DriftIgnoreRule(kind: "HTTPRoute", paths: ["/spec/rules/0/backendRefs"])
        #expect(DriftReport.compare(expected: try object(Self.expected), live: live, ignore: [rule]) == nil)
        let otherKind = DriftIgnoreRule(kind: "Gateway", paths: ["/spec"])
        #expect(DriftReport.compare(expected: try object(Self.expected), live: live, ignore: [otherKind]) != nil)
    }

    @Test("a deleted object is drift")
    func deleted() throws {
        let report = try #require(DriftReport.compare(expected: try object(Self.expected), live: nil))
        #expect(report.deleted)
        #expect(report.message == "HTTPRoute demo/shop was deleted")
    }

    @Test("JSON pointers unescape ~0 and ~1, and malformed ones are refused")
    func pointers() {
        #expect(DriftIgnoreRule.components(ofPointer: "/metadata/annotations/example.com~1owner") == ["metadata", "annotations", "example.com/owner"])
        #expect(DriftIgnoreRule.components(ofPointer: "/a~0b") == ["a~b"])
        #expect(DriftIgnoreRule.components(ofPointer: "/a~2") == nil)
        #expect(DriftIgnoreRule.components(ofPointer: "spec") == nil)
        let rule = DriftIgnoreRule(paths: ["/metadata/annotations/example.com~1owner"])
        #expect(rule.covers(FieldPath([.key("metadata"), .key("annotations"), .key("example.com/owner")])))
        #expect(!rule.covers(FieldPath([.key("metadata"), .key("annotations"), .key("other")])))
    }
}
