import SluiceModel
import Testing

/// The decoder shares equal small subtrees and repeated strings between the objects of a file;
/// sharing must never change a byte of what was written, nor let an edit of one object reach another.
@Suite("Shared subtrees and strings")
struct SharingTests {
    let services = """
        apiVersion: v1
        kind: Service
        metadata:
          name: blue
        spec:
          ports:
          - port: 80
            targetPort: 8080
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: green
        spec:
          ports:
          - port: 80
            targetPort: 8080

        """

    @Test("equal small mappings and lists of two objects are one value, and an edit of one stays in it")
    func sharedSubtrees() throws {
        var objects = try YAMLDecoder(parallel: false).objects(services, file: "services.yaml")
        let ports = FieldPath(parsing: "spec.ports")
        #expect(objects[0][ports]!.isIdentical(to: objects[1][ports]!))
        // The names differ, so their mappings are not shared.
        #expect(!objects[0][FieldPath(parsing: "metadata")]!.isIdentical(to: objects[1][FieldPath(parsing: "metadata")]!))

        objects[0].content["spec"]!["ports"] = [["port": 443]]
        #expect(objects[0][FieldPath(parsing: "spec.ports[0].port")] == .integer(443))
        #expect(objects[1][FieldPath(parsing: "spec.ports[0].port")] == .integer(80))
        #expect(objects[1][FieldPath(parsing: "spec.ports[0].targetPort")] == .integer(8080))
    }

    @Test("canonically equivalent strings written with other bytes keep their own bytes")
    func canonicalEquivalents() throws {
        // "é" as one code point, then as "e" and a combining accent: Swift's == holds for the two.
        let composed = "caf\u{E9}-latte-and-more"
        let decomposed = "cafe\u{301}-latte-and-more"
        #expect(composed == decomposed)
        let text = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: a}
            data: {k: \(composed), l: \(decomposed)}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: b}
            data: {k: \(decomposed), l: \(composed)}

            """
        let objects = try YAMLDecoder(parallel: false).objects(text, file: "cm.yaml")
        func bytes(_ object: Object, _ key: String) -> [UInt8] {
            Array(object[FieldPath(parsing: "data.\(key)")]!.stringValue!.utf8)
        }
        #expect(bytes(objects[0], "k") == Array(composed.utf8))
        #expect(bytes(objects[0], "l") == Array(decomposed.utf8))
        #expect(bytes(objects[1], "k") == Array(decomposed.utf8))
        #expect(bytes(objects[1], "l") == Array(composed.utf8))
    }

    @Test("0.0 and -0.0 are equal but printed differently: neither stands for the other")
    func signedZeros() throws {
        let text = "apiVersion: v1\nkind: A\nmetadata: {name: a}\nv: [0.0]\n---\napiVersion: v1\nkind: A\nmetadata: {name: b}\nv: [-0.0]\n"
        let objects = try YAMLDecoder(parallel: false).objects(text, file: "a.yaml")
        let second = objects[1][FieldPath(parsing: "v[0]")]
        guard case .number(let value) = second else {
            Issue.record("expected a number, got \(String(describing: second))")
            return
        }
        #expect(value.sign == .minus)
    }

    @Test("identity: the same storage, bytes or bits, not merely equal")
    func identity() {
        let members: JSONValue = ["a": 1, "b": "two"]
        let copy = members
        #expect(members.isIdentical(to: copy))
        #expect(members == JSONValue(dictionaryLiteral: ("a", 1), ("b", "two")))
        #expect(!members.isIdentical(to: JSONValue(dictionaryLiteral: ("a", 1), ("b", "two"))))
        #expect(JSONValue.object([:]).isIdentical(to: .object([:])))
        #expect(JSONValue.array([]).isIdentical(to: .array([])))
        #expect(!JSONValue.string("caf\u{E9}").isIdentical(to: .string("cafe\u{301}")))
        #expect(!JSONValue.number(0.0).isIdentical(to: .number(-0.0)))
        #expect(JSONValue.integer(3).isIdentical(to: .integer(3)))
        var edited = copy
        edited["c"] = true
        #expect(!edited.isIdentical(to: members))
    }

    @Test("positions of documents of one file share the file; lines are found per document")
    func positionsPerDocument() throws {
        let objects = try YAMLDecoder(parallel: false).objects(services, file: "services.yaml", reread: { nil })
        // Reread gives nothing: the root's own location is still known, lines below it are not.
        #expect(objects[1].location() == SourceLocation(file: "services.yaml", line: 10, column: 1))
        #expect(objects[1].location(of: FieldPath(parsing: "spec.ports[0].port"))?.line == 10)
        let kept = try YAMLDecoder(parallel: false).objects(services, file: "services.yaml")
        #expect(kept[1].location(of: FieldPath(parsing: "spec.ports[0].port"))?.line == 16)
        var renamed = kept[1]
        renamed.positions?.file = "base/services.yaml"
        #expect(renamed.location()?.file == "base/services.yaml")
        #expect(renamed.location(of: FieldPath(parsing: "spec.ports"))?.description == "base/services.yaml:15")
        #expect(kept[1].location()?.file == "services.yaml")
    }
}
