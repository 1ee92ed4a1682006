import SluiceModel
import SluiceSync
import Testing

@Suite("Changed fields, as a drift report names them")
struct FieldChangeTests {
    func object(_ text: String) throws -> JSONValue {
        try YAMLDecoder().documents(text, file: "test.yaml")[0].value
    }

    @Test("a changed weight, an added and a removed field")
    func leaves() throws {
        let old = try object("spec: {rules: [{backendRefs: [{name: blue, weight: 100}, {name: green, weight: 0}]}], hostnames: [a.test]}")
        let new = try object("spec: {rules: [{backendRefs: [{name: blue, weight: 90}, {name: green, weight: 10}]}], timeouts: {request: 5s}}")
        #expect(FieldChange.changes(from: old, to: new).map(\.description) == [
            "spec.rules[0].backendRefs[0].weight: 100 → 90",
            "spec.rules[0].backendRefs[1].weight: 0 → 10",
            #"spec.timeouts: <none> → {"request":"5s"}"#,
            #"spec.hostnames: ["a.test"] → <none>"#,
        ])
    }

    @Test("a list that changed length is one change")
    func listLength() throws {
        let old = try object("spec: {hostnames: [a.test]}")
        let new = try object("spec: {hostnames: [a.test, b.test]}")
        #expect(FieldChange.changes(from: old, to: new).map(\.description) == [#"spec.hostnames: ["a.test"] → ["a.test","b.test"]"#])
        #expect(FieldChange.changes(from: old, to: old).isEmpty)
    }
}
