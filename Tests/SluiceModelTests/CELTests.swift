import SluiceModel
import Testing

@Suite("CEL: parsing and evaluating x-kubernetes-validations rules")
struct CELTests {
    func eval(_ text: String, _ variables: [String: CELValue] = [:]) throws -> CELValue {
        try CELEvaluator().evaluate(try CELExpression(parsing: text), variables: variables)
    }

    @Test("every rule in the upstream Gateway API CRDs compiles")
    func upstreamRulesCompile() throws {
        var total = 0
        var failures: [String] = []
        for (kind, crd) in SharedData.upstreamCRDs {
            for version in crd[FieldPath(parsing: "spec.versions")]?.arrayValue ?? [] {
                guard let schemaValue = version[FieldPath(parsing: "schema.openAPIV3Schema")] else { continue }
                for (path, rule) in StructuralSchema(schemaValue).allRules() {
                    total += 1
                    if case .failure(let error) = rule.expression {
                        failures.append("\(kind)/\(version["name"]?.stringValue ?? "")\(path): \(rule.rule): \(error)")
                    }
                }
            }
        }
        #expect(total >= 245, "counted \(total) rules")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test(
        "operators, literals and precedence",
        arguments: [
            ("1 + 2 * 3 == 7", CELValue.bool(true)), ("(1 + 2) * 3", .int(9)), ("7 / 2", .int(3)), ("7 % 3", .int(1)),
            ("-5 < 3 && !false", .bool(true)), ("1 == 1.0", .bool(true)), ("'ab' + \"cd\"", .string("abcd")),
            ("'a' < 'b'", .bool(true)), ("[1, 2] + [3]", .list([.int(1), .int(2), .int(3)])),
            ("2 in [1, 2]", .bool(true)), ("'k' in {'k': 1}", .bool(true)), ("true ? 'y' : 'n'", .string("y")),
            ("size('héllo')", .int(5)), ("'a.b.c'.split('.').size()", .int(3)), ("0x10 + 1", .int(17)),
            ("duration('1h30m') > duration('90m')", .bool(false)), ("duration('1h') >= duration('59m')", .bool(true)),
            ("'/api'.startsWith('/')", .bool(true)), ("'x.example'.endsWith('.example')", .bool(true)),
            ("'abc'.matches('^a[b-c]+$')", .bool(true)), ("r'\\d'.size()", .int(2)), ("int('42') + 1", .int(43)),
            ("[1, 2, 3].all(x, x > 0)", .bool(true)), ("[1, 2, 3].exists(x, x > 2)", .bool(true)),
            ("[1, 2, 2].exists_one(x, x == 2)", .bool(false)), ("[1, 2, 3].filter(x, x != 2)", .list([.int(1), .int(3)])),
            ("[1, 2].map(x, x * 10)", .list([.int(10), .int(20)])), ("{'a': 1}.all(k, k == 'a')", .bool(true)),
        ])
    func expressions(text: String, expected: CELValue) throws {
        #expect(try eval(text) == expected)
    }

    @Test("has(), field selection and Kubernetes' escaped property names")
    func fields() throws {
        let object = CELValue(["namespace": "infra", "name": "gw", "sectionName": "https"])
        #expect(try eval("has(self.sectionName) && self.__namespace__ == 'infra'", ["self": object]) == .bool(true))
        #expect(try eval("has(self.port)", ["self": object]) == .bool(false))
        #expect(throws: CELError.self) { try eval("self.port == 80", ["self": object]) }
        // An error on one side of || is absorbed when the other side decides, as in CEL.
        #expect(try eval("self.port == 80 || true", ["self": object]) == .bool(true))
        #expect(try eval("false && self.port == 80", ["self": object]) == .bool(false))
    }

    @Test("errors: syntax, overflow, bounds, unknown functions")
    func errors() throws {
        for text in ["1 +", "a.", "has(a)", "'unterminated", "[1, 2].all(1, true)", "1 2"] {
            #expect(throws: CELError.self, "\(text)") { _ = try CELExpression(parsing: text) }
        }
        for text in ["9223372036854775807 + 1", "[1][3]", "1 / 0", "nope(1)", "'a' < 1", "missing"] {
            #expect(throws: CELError.self, "\(text)") { try eval(text) }
        }
    }
}

@Suite("CEL cost limits, where they change the outcome")
struct CELCostTests {
    static let schema = StructuralSchema([
        "type": "object",
        "properties": ["items": [
            "type": "array", "items": ["type": "integer"],
            "x-kubernetes-validations": [["rule": "self.all(x, self.all(y, x != y || x == y))", "message": "pairs"]],
        ]],
    ])

    @Test("a rule whose evaluation passes the per-call limit fails, naming the rule")
    func perCallLimit() {
        let small: JSONValue = ["items": .array((0..<100).map { .integer($0) })]
        #expect(SchemaValidator().apiServerErrors(small, against: Self.schema).isEmpty)
        let large: JSONValue = ["items": .array((0..<1_500).map { .integer($0) })]
        let errors = SchemaValidator().apiServerErrors(large, against: Self.schema)
        #expect(errors.map(\.description) == [
            #"items: Invalid value: "array": operation cancelled: actual cost limit exceeded: call cost exceeds limit for rule: pairs"#,
        ])
    }

    @Test("a rule that cannot be evaluated says why and which rule")
    func evaluationError() {
        let schema = StructuralSchema([
            "type": "object", "properties": ["a": ["type": "object", "properties": ["b": ["type": "string"]],
                                                    "x-kubernetes-validations": [["rule": "self.b == 'x'"]]]],
        ])
        #expect(SchemaValidator().apiServerErrors(["a": [:]], against: schema).map(\.description) == [
            #"a: Invalid value: "object": no such key: b evaluating rule: self.b == 'x'"#,
        ])
    }
}
