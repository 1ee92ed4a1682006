import OrderedCollections
import SluiceModel
import Testing

@Suite("Built-in Gateway API schemas are equivalent to the upstream CRDs")
struct BuiltInSchemaTests {
    /// The schema without prose: `description` keywords dropped (not properties named
    /// "description"), keys sorted, so that only what validation and defaulting use is compared.
    static func normalized(_ value: JSONValue, inProperties: Bool = false) -> JSONValue {
        switch value {
        case .object(let members):
            var result: JSONObject = [:]
            for key in members.keys.sorted() {
                if key == "description", !inProperties { continue }
                result[key] = normalized(members[key]!, inProperties: key == "properties" && !inProperties)
            }
            return .object(result)
        case .array(let items):
            return .array(items.map { normalized($0) })
        default:
            return value
        }
    }

    /// The first place two values differ, as a path and both sides.
    static func firstDifference(_ a: JSONValue, _ b: JSONValue, at path: String = "") -> String? {
        switch (a, b) {
        case (.object(let left), .object(let right)):
            for key in Set(left.keys).union(right.keys).sorted() {
                guard let l = left[key] else { return "\(path).\(key): missing in built-in" }
                guard let r = right[key] else { return "\(path).\(key): not upstream" }
                if let found = firstDifference(l, r, at: "\(path).\(key)") { return found }
            }
            return nil
        case (.array(let left), .array(let right)):
            guard left.count == right.count else { return "\(path): \(left.count) items built-in, \(right.count) upstream" }
            for (index, (l, r)) in zip(left, right).enumerated() {
                if let found = firstDifference(l, r, at: "\(path)[\(index)]") { return found }
            }
            return nil
        default:
            return a == b ? nil : "\(path): built-in \(a.jsonText()) vs upstream \(b.jsonText())"
        }
    }

    static let builtIn: [String: Object] = Dictionary(
        uniqueKeysWithValues: GatewayAPI.customResourceDefinitions.map {
            ($0[FieldPath(parsing: "spec.names.kind")]?.stringValue ?? "", $0)
        })

    @Test("each built-in CRD matches upstream: names, scope, versions, schema, columns", arguments: builtIn.keys.sorted())
    func equivalent(kind: String) throws {
        let ours = try #require(Self.builtIn[kind])
        let upstream = try #require(SharedData.upstreamCRDs[kind])
        #expect(ours.name == upstream.name)
        let difference = Self.firstDifference(
            Self.normalized(ours.content["spec"]!), Self.normalized(upstream.content["spec"]!), at: "spec")
        #expect(difference == nil, "\(kind) \(difference ?? "")")
    }

    @Test("the corpus gives the same verdicts with the built-in schemas as with the upstream ones",
          arguments: GatewayAPICorpusTests.invalid.filter { builtIn[$0.kind] != nil })
    func sameVerdicts(_ invalid: InvalidCase) throws {
        let object = try GatewayAPICorpusTests.object(kind: invalid.kind, spec: invalid.spec)
        let validator = SchemaValidator()
        func errors(_ crd: Object) throws -> [String] {
            let schema = try #require(StructuralSchema.versions(of: crd)[object.version])
            let old = try invalid.oldSpec.map {
                validator.applyingDefaults(to: try GatewayAPICorpusTests.object(kind: invalid.kind, spec: $0).value, schema: schema)
            }
            return validator.apiServerErrors(validator.applyingDefaults(to: object.value, schema: schema), against: schema, old: old)
                .map(\.description)
        }
        let ours = try errors(try #require(Self.builtIn[invalid.kind]))
        #expect(!ours.isEmpty)
        #expect(ours == (try errors(try #require(SharedData.upstreamCRDs[invalid.kind]))))
    }
}
