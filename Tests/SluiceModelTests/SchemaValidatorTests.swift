import Foundation
import SluiceModel
import Testing

@Suite("Structural schema validation against the upstream Gateway API CRDs")
struct SchemaValidatorTests {
    static let validationSteps: [JSONValue] = {
        (try? SharedData.fixture("07-crd-validation-errors.json"))?["steps"]?.arrayValue ?? []
    }()


    static func validate(_ step: JSONValue) throws -> (ValidationFailure, expected: JSONValue) {
        let body = step[FieldPath(parsing: "request.body")]?.stringValue ?? ""
        let object = try YAMLDecoder().objects(body, file: "request.yaml")[0]
        let crd = try #require(SharedData.upstreamCRDs[object.kind], "no upstream CRD for \(object.kind)")
        let schema = try #require(StructuralSchema.versions(of: crd)[object.version])
        let validator = SchemaValidator()
        let defaulted = validator.applyingDefaults(to: object.value, schema: schema)
        let failure = ValidationFailure(
            qualifiedKind: "\(object.kind).\(object.group)", name: object.name,
            errors: validator.apiServerErrors(defaulted, against: schema))
        return (failure, try #require(step[FieldPath(parsing: "response.body")]))
    }

    static func httpRouteSchema() throws -> StructuralSchema {
        let crd = try #require(SharedData.upstreamCRDs["HTTPRoute"])
        return try #require(StructuralSchema.versions(of: crd)["v1"])
    }

    static func causes(_ failure: ValidationFailure) -> [JSONValue] {
        failure.errors.map { ["reason": .string($0.kind.reason), "message": .string($0.body), "field": .string($0.fieldText)] }
    }

    /// Every step of every fixture that applies a Gateway API object: the 422s the validator
    /// must reproduce, and the accepted bodies it must accept.
    static let applySteps: [(id: String, step: JSONValue)] = {
        let files = (try? FileManager.default.contentsOfDirectory(
            atPath: SharedData.root.appendingPathComponent("fixtures/kube-apiserver").path)) ?? []
        var steps: [(String, JSONValue)] = []
        for file in files.sorted() where file.hasSuffix(".json") {
            for step in (try? SharedData.fixture(file))?["steps"]?.arrayValue ?? [] {
                guard step[FieldPath(parsing: "request.contentType")]?.stringValue == "application/apply-patch+yaml",
                    step[FieldPath(parsing: "request.path")]?.stringValue?.contains("/apis/gateway.networking.k8s.io/") == true,
                    step[FieldPath(parsing: "request.path")]?.stringValue?.contains("/status") == false
                else { continue }
                steps.append((step["step"]?.stringValue ?? file, step))
            }
        }
        return steps
    }()

    @Test("every schema 422 in the fixtures is reproduced, and every accepted apply body is valid",
          arguments: applySteps.map(\.id))
    func allFixtures(id: String) throws {
        let step = try #require(Self.applySteps.first { $0.id == id }?.step)
        let status = step[FieldPath(parsing: "response.status")]?.integerValue ?? 0
        guard let body = step[FieldPath(parsing: "request.body")]?.stringValue,
            let object = try? YAMLDecoder().objects(body, file: "request.yaml").first,
            let crd = SharedData.upstreamCRDs[object.kind],
            let schema = StructuralSchema.versions(of: crd)[object.version]
        else { return }  // not a parsable Gateway API object (request-error scenarios)
        let (failure, expected) = try Self.validate(step)
        if (200..<300).contains(status) {
            #expect(failure.errors.isEmpty, "\(id): \(failure.errors.map(\.description))")
            #expect(SchemaValidator().unknownFields(object.value, against: schema).isEmpty || id.hasPrefix("14."))
        } else if status == 422, expected["message"]?.stringValue?.contains(" is invalid: ") == true,
            !id.hasPrefix("13.")
        {
            if id == "07.9" {
                #expect(Set(Self.causes(failure)) == Set(expected[FieldPath(parsing: "details.causes")]?.arrayValue ?? []), "\(id)")
            } else {
                #expect(failure.message == expected["message"]?.stringValue, "\(id)")
            }
        }
    }

    @Test("the fixtures hold the 422s and accepted applies the test above checks")
    func fixtureCoverage() {
        let statuses = Self.applySteps.compactMap { $0.step[FieldPath(parsing: "response.status")]?.integerValue }
        #expect(statuses.filter { $0 == 422 }.count >= 11)
        #expect(statuses.filter { (200..<300).contains($0) }.count >= 16)
    }

    @Test("the upstream CRDs are there to test against")
    func upstreamPresent() {
        for kind in ["GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "ReferenceGrant"] {
            #expect(SharedData.upstreamCRDs[kind] != nil, "\(kind)")
        }
        #expect(Self.validationSteps.count == 10)
    }

    @Test("each 422 of fixture 07 is reproduced: message and causes", arguments: validationSteps.compactMap { $0["step"]?.stringValue })
    func fixture07(id: String) throws {
        let step = try #require(Self.validationSteps.first { $0["step"]?.stringValue == id })
        let (failure, expected) = try Self.validate(step)
        let check = {
            if id == "07.9" {
                // The server's own order of these causes varies between runs (the fixture notes it).
                #expect(Set(Self.causes(failure)) == Set(expected[FieldPath(parsing: "details.causes")]?.arrayValue ?? []), "\(id)")
            } else {
                #expect(failure.message == expected["message"]?.stringValue, "\(id)")
                #expect(Self.causes(failure) == expected[FieldPath(parsing: "details.causes")]?.arrayValue, "\(id)")
            }
        }
        check()
    }

    @Test("defaults are filled in as the server fills them: weight, group, kind, path match")
    func defaults() throws {
        let text = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: web, namespace: demo}
            spec:
              parentRefs: [{name: public-gw}]
              rules:
              - backendRefs: [{name: blue, port: 8080}]
            """
        let object = try YAMLDecoder().objects(text, file: "route.yaml")[0]
        let schema = try Self.httpRouteSchema()
        let defaulted = SchemaValidator().applyingDefaults(to: object.value, schema: schema)
        #expect(defaulted[FieldPath(parsing: "spec.rules[0].backendRefs[0].weight")] == 1)
        #expect(defaulted[FieldPath(parsing: "spec.rules[0].backendRefs[0].group")] == "")
        #expect(defaulted[FieldPath(parsing: "spec.rules[0].backendRefs[0].kind")] == "Service")
        #expect(defaulted[FieldPath(parsing: "spec.rules[0].matches")] == [["path": ["type": "PathPrefix", "value": "/"]]])
        #expect(defaulted[FieldPath(parsing: "spec.parentRefs[0].kind")] == "Gateway")
        #expect(SchemaValidator().apiServerErrors(defaulted, against: schema).isEmpty)
    }

    @Test("a field the schema does not declare is found, as server-side apply refuses it")
    func unknownFields() throws {
        let schema = try Self.httpRouteSchema()
        let value: JSONValue = ["apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                                "metadata": ["name": "web", "labels": ["a": "b"]],
                                "spec": ["bogusField": true, "rules": [["backendRefs": [["name": "x", "port": 80, "extra": 1]]]]]]
        #expect(SchemaValidator().unknownFields(value, against: schema).map(\.description)
            == ["spec.bogusField", "spec.rules[0].backendRefs[0].extra"])
    }

    @Test("wrong types are TypeInvalid and block rule evaluation")
    func typeErrors() throws {
        let schema = try Self.httpRouteSchema()
        let value: JSONValue = ["apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": ["name": "web"],
                                "spec": ["hostnames": "not-a-list"]]
        let errors = SchemaValidator().apiServerErrors(value, against: schema)
        #expect(errors.first?.kind == .typeInvalid)
        #expect(errors.first?.fieldText == "spec.hostnames")
        #expect(errors.last?.fieldText == "<nil>")
    }
}

@Suite("A catalog of CRD schemas: what `sluice validate` reports")
struct SchemaCatalogTests {
    @Test("problems carry the field, the server's message, and the line they are on")
    func problemsWithLines() throws {
        var catalog = SchemaCatalog()
        for crd in SharedData.upstreamCRDs.values { catalog.add(crd: crd) }
        let text = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: shop, namespace: demo}
            spec:
              rules:
              - backendRefs:
                - name: blue
                  port: 8080
                  weight: -1
                bogus: true
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: blue}
            """
        let objects = try YAMLDecoder().objects(text, file: "shop.yaml")
        let problems = try #require(catalog.problems(in: objects[0]))
        #expect(problems.map(\.description) == [
            "spec.rules[0].backendRefs[0].weight: Invalid value: -1: spec.rules[0].backendRefs[0].weight in body should be greater than or equal to 0",
            "spec.rules[0].bogus: field not declared in schema",
        ])
        #expect(problems.map { objects[0].location(of: $0.field!)?.line } == [9, 10])
        #expect(catalog.problems(in: objects[1]) == nil)
    }
}

@Suite("metadata checks, as the API server makes them for custom resources")
struct ObjectMetaTests {
    static func problems(_ metadata: String) throws -> [String] {
        var catalog = SchemaCatalog()
        for crd in GatewayAPI.customResourceDefinitions { catalog.add(crd: crd) }
        let text = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: \(metadata)\nspec: {controllerName: sluice.dev/gateway-controller}\n"
        let object = try YAMLDecoder().objects(text, file: "class.yaml")[0]
        return try #require(catalog.problems(in: object)).map(\.description)
    }

    @Test("a name that is not a DNS subdomain, a missing name, a bad namespace")
    func names() throws {
        #expect(try Self.problems("{name: Bad_Name}") == [
            #"metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"#,
        ])
        #expect(try Self.problems("{labels: {a: b}}") == ["metadata.name: Required value: name or generateName is required"])
        #expect(try Self.problems("{generateName: sluice-}").isEmpty)
        #expect(try Self.problems("{name: ok, namespace: Bad_NS}") == [
            #"metadata.namespace: Invalid value: "Bad_NS": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"#,
        ])
        #expect(try Self.problems("{name: '\(String(repeating: "a", count: 254))'}").first?.hasSuffix("must be no more than 253 characters") == true)
    }
}

@Suite("String formats")
struct StringFormatTests {
    @Test("formats the server checks", arguments: [
        ("ipv4", "10.0.0.1", true), ("ipv4", "10.0.0.256", false), ("ipv4", "::1", false),
        ("ipv6", "fd00::1", true), ("ipv6", "10.0.0.1", false), ("cidr", "10.0.0.0/8", true), ("cidr", "10.0.0.0/33", false),
        ("date-time", "2025-01-01T00:00:00Z", true), ("date-time", "2025-13-01T00:00:00Z", false), ("date-time", "yesterday", false),
        ("uuid", "11111111-2222-3333-4444-555555555555", true), ("uuid", "nope", false),
    ])
    func formats(format: String, text: String, valid: Bool) throws {
        let schema = StructuralSchema(["type": "object", "properties": ["x": ["type": "string", "format": .string(format)]]])
        let errors = SchemaValidator().validate(["x": .string(text)], against: schema)
        #expect(errors.isEmpty == valid, "\(errors.map(\.description))")
        if !valid {
            #expect(errors.first?.description == "x: Invalid value: \(FieldError.goQuote(text)): x in body must be of type \(format): \(FieldError.goQuote(text))")
        }
    }
}

@Suite("Defaulting matches what the API server stored on create")
struct DefaultingFixtureTests {
    /// Server-side apply creates of Gateway API objects in the fixtures: the stored spec and
    /// status are the applied body with the schema's defaults, nothing else.
    static let creates: [String] = SchemaValidatorTests.applySteps
        .filter { $0.step[FieldPath(parsing: "response.status")]?.integerValue == 201 }
        .map(\.id)

    @Test("there are creates to compare with")
    func present() { #expect(Self.creates.count >= 7) }

    @Test("spec and status after defaulting equal the server's", arguments: creates)
    func sameDefaults(id: String) throws {
        let step = try #require(SchemaValidatorTests.applySteps.first { $0.id == id }?.step)
        let body = try #require(step[FieldPath(parsing: "request.body")]?.stringValue)
        let object = try #require(try YAMLDecoder().objects(body, file: "request.yaml").first)
        let crd = try #require(GatewayAPI.customResourceDefinitions.first { $0[FieldPath(parsing: "spec.names.kind")]?.stringValue == object.kind })
        let schema = try #require(StructuralSchema.versions(of: crd)[object.version])
        let defaulted = SchemaValidator().applyingDefaults(to: object.value, schema: schema)
        let stored = try #require(step[FieldPath(parsing: "response.body")])
        for field in ["spec", "status"] {
            let ours = defaulted[field].map { BuiltInSchemaTests.normalized($0) }
            let theirs = stored[field].map { BuiltInSchemaTests.normalized($0) }
            #expect(ours == theirs, "\(id) \(field): \(BuiltInSchemaTests.firstDifference(ours ?? .null, theirs ?? .null) ?? "")")
        }
    }
}
