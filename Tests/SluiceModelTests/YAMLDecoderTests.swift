import SluiceModel
import Synchronization
import Testing

@Suite("YAML → JSONValue and Object")
struct YAMLDecoderTests {
    let decoder = YAMLDecoder()

    @Test("keys keep their written order, and every field knows its line")
    func orderAndPositions() throws {
        let text = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              namespace: demo
              name: shop
            spec:
              zeta: 1
              alpha: 2
              rules:
              - backendRefs:
                - name: blue
                  weight: 90
                - name: green
                  weight: 10

            """
        let objects = try decoder.objects(text, file: "routes/shop.yaml")
        #expect(objects.count == 1)
        let route = objects[0]
        #expect(Array(route.content.keys) == ["apiVersion", "kind", "metadata", "spec"])
        #expect(Array(route.content["spec"]!.objectValue!.keys) == ["zeta", "alpha", "rules"])
        #expect(route.reference.description == "HTTPRoute demo/shop")
        #expect(route.group == "gateway.networking.k8s.io")
        #expect(route.version == "v1")
        let weight = FieldPath(parsing: "spec.rules[0].backendRefs[1].weight")
        #expect(route[weight] == .integer(10))
        #expect(route.location(of: weight) == SourceLocation(file: "routes/shop.yaml", line: 14, column: 7))
        #expect(route.location(of: FieldPath(parsing: "spec.rules[0].backendRefs[1]"))?.line == 13)
        // A field that is not there falls back to its nearest written ancestor.
        #expect(route.location(of: FieldPath(parsing: "spec.rules[0].backendRefs[1].port"))?.line == 13)
    }

    @Test("multi-document streams: empty documents are skipped, lines are per document")
    func multiDocument() throws {
        let text = """
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: demo}
            ---
            # only a comment
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: blue
              namespace: demo

            """
        let objects = try decoder.objects(text, file: "all.yaml")
        #expect(objects.map(\.reference.description) == ["Namespace demo", "Service demo/blue"])
        #expect(objects[1].location()?.line == 8)
        #expect(objects[1].location(of: FieldPath(parsing: "metadata.name"))?.line == 11)
    }

    @Test(
        "plain scalars resolve by the YAML 1.2 core schema, as kustomize reads them",
        arguments: [
            ("true", JSONValue.bool(true)), ("False", .bool(false)), ("yes", .string("yes")),
            ("on", .string("on")), ("~", .null), ("null", .null), ("", .null),
            ("42", .integer(42)), ("-7", .integer(-7)), ("+3", .integer(3)), ("0x1F", .integer(31)),
            ("0o17", .integer(15)), ("1.5", .number(1.5)), ("1e3", .number(1000)), (".5", .number(0.5)),
            ("-.inf", .number(-.infinity)), ("1.2.3", .string("1.2.3")), ("0.0.0.0", .string("0.0.0.0")),
            ("12:30", .string("12:30")), ("2026-11-29", .string("2026-11-29")), ("v1", .string("v1")),
            ("9223372036854775808", .number(9223372036854775808)),
        ])
    func plainScalars(text: String, expected: JSONValue) throws {
        let documents = try decoder.documents("value: \(text)\n", file: "x.yaml")
        #expect(documents[0].value["value"] == expected)
    }

    @Test("quoted scalars and !!str are strings; !!int and !!float are checked")
    func quotedAndTagged() throws {
        let value = try decoder.documents(
            "a: \"true\"\nb: '42'\nc: !!str 7\nd: !!int \"8\"\ne: !!float 1\nf: |\n  two\n  lines\n", file: "x.yaml")[0].value
        #expect(value["a"] == .string("true"))
        #expect(value["b"] == .string("42"))
        #expect(value["c"] == .string("7"))
        #expect(value["d"] == .integer(8))
        #expect(value["e"] == .number(1))
        #expect(value["f"] == .string("two\nlines\n"))
        #expect(throws: YAMLError.self) { _ = try decoder.documents("a: !!int nope\n", file: "x.yaml") }
    }

    @Test("anchors, aliases and merge keys")
    func aliasesAndMerge() throws {
        let text = """
            defaults: &defaults
              port: 8080
              weight: 1
            blue:
              <<: *defaults
              name: blue
              weight: 90
            list: [*defaults, *defaults]

            """
        let value = try decoder.documents(text, file: "x.yaml")[0].value
        #expect(value["blue"] == ["name": "blue", "weight": 90, "port": 8080])
        #expect(value["list"]?.arrayValue?.count == 2)
    }

    @Test("an alias bomb is refused within the node budget, naming the file")
    func aliasBomb() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let previous = "*a\(level - 1)"
            text += "a\(level): &a\(level) [\(Array(repeating: previous, count: 10).joined(separator: ", "))]\n"
        }
        do {
            _ = try YAMLDecoder(maxNodes: 100_000).documents(text, file: "bomb.yaml")
            Issue.record("the bomb was expanded")
        } catch {
            #expect(error.location.file == "bomb.yaml")
            #expect(error.message.contains("more than 100000 nodes"))
        }
    }

    @Test(
        "malformed YAML is an error with file, line and column",
        arguments: [
            ("a: [1, 2\nb: 3\n", 2),
            ("a: 1\n  b: 2\n", 2),
            ("a: 1\na: 2\n", 2),
            ("key: \"unterminated\n", 2),
            ("a:\n\t- tab\n", 2),
        ])
    func malformed(text: String, line: Int) {
        do {
            _ = try decoder.documents(text, file: "bad.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.location.file == "bad.yaml")
            #expect(error.location.line == line, "\(error) | \(String(reflecting: error))")
            #expect(error.description.hasPrefix("bad.yaml:\(line):"))
        }
    }

    @Test("documents that are not objects, or lack apiVersion or kind, are refused at their line")
    func notObjects() {
        for (text, message) in [
            ("- a\n- b\n", "found a sequence"), ("just text\n", "found a string"),
            ("kind: Service\nmetadata: {name: x}\n", "no apiVersion"), ("apiVersion: v1\nkind: 7\n", "no kind string"),
        ] {
            #expect(throws: YAMLError.self) { _ = try decoder.objects(text, file: "x.yaml") }
            do {
                _ = try decoder.objects("---\n" + text, file: "x.yaml")
            } catch {
                #expect(error.message.contains(message), "\(error)")
                #expect(error.location.line == 2)
            }
        }
    }

    @Test("JSON is read as the YAML it is, order kept")
    func json() throws {
        let value = try decoder.documents(#"{"kind":"Status","code":409,"details":{"causes":[{"field":".spec"}]},"ok":false,"x":1.5}"#, file: "r.json")[0].value
        #expect(Array(value.objectValue!.keys) == ["kind", "code", "details", "ok", "x"])
        #expect(value[FieldPath(parsing: "details.causes[0].field")] == .string(".spec"))
        #expect(value["code"] == .integer(409))
    }
}

@Suite("Large streams, parsed in pieces on all cores")
struct LargeStreamTests {
    static func stream(count: Int, brokenAt broken: Int? = nil) -> String {
        var text = ""
        for index in 0..<count {
            text += "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-\(index)\ndata:\n  key: \"\(String(repeating: "x", count: 80))\"\n"
            if index == broken { text += "  bad: [unclosed\n" }
        }
        return text
    }

    @Test("every document, in order, with lines counted from the top of the file")
    func orderAndLines() throws {
        let text = Self.stream(count: 3000)
        #expect(text.utf8.count > 256 * 1024)
        let objects = try YAMLDecoder().objects(text, file: "big.yaml")
        #expect(objects.map(\.name) == (0..<3000).map { "cm-\($0)" })
        // Each document is 7 lines; document n starts at line 7n + 2 (after its ---).
        #expect(objects[2999].location()?.line == 7 * 2999 + 2)
        #expect(objects[2999].location(of: FieldPath(parsing: "metadata.name"))?.line == 7 * 2999 + 5)
    }

    @Test("an error deep in a large stream names its line in the whole file")
    func errorLine() {
        let text = Self.stream(count: 3000, brokenAt: 2500)
        do {
            _ = try YAMLDecoder().objects(text, file: "big.yaml")
            Issue.record("accepted a broken stream")
        } catch {
            // The broken line follows document 2500's seven lines.
            #expect(error.location.line >= 7 * 2501 + 1 && error.location.line <= 7 * 2501 + 3, "\(error)")
        }
    }

    @Test("on one thread the stream reads the same, errors at the same line")
    func oneThread() throws {
        let text = Self.stream(count: 3000)
        let parallel = try YAMLDecoder().objects(text, file: "big.yaml")
        let serial = try YAMLDecoder(parallel: false).objects(text, file: "big.yaml")
        #expect(serial.map(\.content) == parallel.map(\.content))
        #expect(serial.map { $0.location() } == parallel.map { $0.location() })
        let broken = Self.stream(count: 3000, brokenAt: 2500)
        var lines: [Int] = []
        for decoder in [YAMLDecoder(), YAMLDecoder(parallel: false)] {
            do {
                _ = try decoder.objects(broken, file: "big.yaml")
                Issue.record("accepted a broken stream")
            } catch {
                lines.append(error.location.line)
            }
        }
        #expect(lines.count == 2 && lines[0] == lines[1])
    }

    @Test("with reread, no text is kept, and the line of a field is found by reading the file again")
    func reread() throws {
        let text = Self.stream(count: 3000)
        let reads = Mutex(0)
        let objects = try YAMLDecoder(parallel: false).objects(text, file: "big.yaml", reread: {
            reads.withLock { $0 += 1 }
            return text
        })
        #expect(reads.withLock { $0 } == 0)
        let name = FieldPath(parsing: "metadata.name")
        #expect(objects[2999].location(of: name) == SourceLocation(file: "big.yaml", line: 7 * 2999 + 5, column: 3))
        #expect(objects[0].location(of: FieldPath(parsing: "data.key"))?.line == 7)
        #expect(reads.withLock { $0 } == 2)
        // The root's line needs no reading; a file that can no longer be read gives the document's start.
        let gone = try YAMLDecoder(parallel: false).objects(text, file: "big.yaml", reread: { nil })
        #expect(gone[10].location() == SourceLocation(file: "big.yaml", line: 72, column: 1))
        #expect(gone[10].location(of: name) == gone[10].location())
    }
}
