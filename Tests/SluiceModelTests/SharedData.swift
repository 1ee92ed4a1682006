import Foundation
import SluiceModel

/// Reference data from `../shared` beside the checkout (upstream CRDs, recorded API server
/// answers): read at test time, never copied into the project.
enum SharedData {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared")

    /// The upstream Gateway API v1.6.1 standard CRDs, by `kind`.
    static let upstreamCRDs: [String: Object] = {
        let directory = root.appendingPathComponent("gateway-api/crds")
        var crds: [String: Object] = [:]
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for file in files.sorted() where file.hasSuffix(".yaml") {
            guard let text = try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8),
                let objects = try? YAMLDecoder().objects(text, file: file)
            else { continue }
            for crd in objects where crd.kind == "CustomResourceDefinition" {
                if let kind = crd[FieldPath(parsing: "spec.names.kind")]?.stringValue { crds[kind] = crd }
            }
        }
        return crds
    }()

    static func fixture(_ name: String) throws -> JSONValue {
        let text = try String(
            contentsOf: root.appendingPathComponent("fixtures/kube-apiserver/\(name)"), encoding: .utf8)
        return try YAMLDecoder().documents(text, file: name)[0].value
    }
}
