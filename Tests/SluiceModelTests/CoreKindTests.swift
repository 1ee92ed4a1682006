import Foundation
import SluiceModel
import Testing

/// The built-in core kinds, checked as the API server checks them.
struct CoreKindTests {
    func problems(_ yaml: String) throws -> [String] {
        let objects = try YAMLDecoder().objects(yaml, file: "secret.yaml")
        return KindCatalog.builtInSchemas.problems(in: objects).flatMap { ($0 ?? []).map { "\($0.fieldText): \($0.body)" } }
    }

    @Test("Secret data may be base64 in lines, as kustomize's generators write it; Go's decoder skips newlines")
    func lineWrappedBase64() throws {
        let long = Data(repeating: 0x41, count: 120).base64EncodedString()
        let wrapped = stride(from: 0, to: long.count, by: 70).map { start in
            String(long.dropFirst(start).prefix(70))
        }.joined(separator: "\\n") + "\\n"
        #expect(try problems("apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: d}\ndata: {a: \"\(wrapped)\"}\n").isEmpty)
        #expect(KubernetesBytes.decode(wrapped.replacingOccurrences(of: "\\n", with: "\n")) == Data(repeating: 0x41, count: 120))
        let refused = try problems("apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: d}\ndata: {a: \"not base64!\"}\n")
        #expect(refused.count == 1 && refused[0].contains("data.a"), "\(refused)")
    }

    @Test("problems about a Secret's data never show the value")
    func secretValuesRedacted() throws {
        let objects = try YAMLDecoder().objects(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: d}\ndata: {password: \"hunter2 is not base64\"}\n", file: "s.yaml")
        let problems = try #require(KindCatalog.builtInSchemas.problems(in: objects).first ?? nil)
        #expect(problems.contains { $0.description.contains("hunter2") }, "the raw error carries the value")
        let shown = problems.map { $0.redacted(for: objects[0]).description }
        #expect(!shown.contains { $0.contains("hunter2") }, "\(shown)")
        #expect(shown.allSatisfy { $0.contains("data.password") && $0.contains("<redacted>") }, "\(shown)")
    }
}
