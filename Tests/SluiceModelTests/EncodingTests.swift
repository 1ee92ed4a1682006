import Foundation
import SluiceModel
import Testing

@Suite("Writing YAML and JSON")
struct EncodingTests {
    @Test("YAML round-trips with order, types and awkward strings intact")
    func yamlRoundTrip() throws {
        let value: JSONValue = [
            "kind": "HTTPRoute", "apiVersion": "gateway.networking.k8s.io/v1",
            "strings": ["true", "yes", "on", "1.0", "42", "", "null", "~", "a: b", "- x", "#c", "12:30", "1_000", "0x10", "plain text"],
            "numbers": [1, -2, 1.5, 1e-7, 1e21, 100000.5],
            "flags": [true, false], "nothing": nil, "empty": [:], "none": [],
            "multi": "line one\nline two\n", "ünïcode": "héllo",
        ]
        let text = try YAMLEncoder().encode(value)
        let back = try YAMLDecoder().documents(text, file: "out.yaml")[0].value
        #expect(back == value, "\(text)")
        #expect(text.hasPrefix("kind: HTTPRoute\napiVersion: gateway.networking.k8s.io/v1\n"))
        #expect(text.contains("- \"yes\"\n"))
        #expect(text.contains("héllo"))
    }

    @Test("an integral float is written without a fraction and reads back as an integer, as Go's YAML does")
    func integralFloat() throws {
        let text = try YAMLEncoder().encode(["x": .number(100000.0)])
        #expect(text == "x: 100000\n")
        #expect(try YAMLDecoder().documents(text, file: "x")[0].value["x"] == .integer(100000))
    }

    @Test("sequences sit flush under their key, as kubectl kustomize prints them")
    func kubectlLayout() throws {
        let value: JSONValue = ["spec": ["ports": [["name": "http", "port": 8080]]]]
        #expect(try YAMLEncoder().encode(value) == "spec:\n  ports:\n  - name: http\n    port: 8080\n")
    }

    @Test("JSON as Go's encoding/json writes it")
    func goJSON() {
        let value: JSONValue = ["a": "<b>&\u{2028}\"\\\n\u{1}", "n": [1, 1.5, 1e-7, 1e21, 0.000001, 123456789.0, -0.0], "e": [:], "l": []]
        #expect(value.jsonText() == #"{"a":"\u003cb\u003e\u0026\u2028\"\\\n\u0001","n":[1,1.5,1e-7,1e+21,0.000001,123456789,-0],"e":{},"l":[]}"#)
        let nested: JSONValue = ["x": [1, 2]]
        #expect(nested.jsonText(indent: 4) == "{\n    \"x\": [\n        1,\n        2\n    ]\n}")
    }

    @Test("YAML floats as Go's strconv 'g' writes them", arguments: [
        (1.5, "1.5"), (100000.0, "100000"), (1e6, "1e+06"), (1234567.0, "1.234567e+06"),
        (0.0001, "0.0001"), (0.00001, "1e-05"), (-2.5e-10, "-2.5e-10"), (0.0, "0"),
    ])
    func yamlFloats(number: Double, expected: String) throws {
        #expect(try YAMLEncoder().encode(["x": .number(number)]) == "x: \(expected)\n")
    }
}
