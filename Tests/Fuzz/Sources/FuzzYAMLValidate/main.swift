import Foundation
import FuzzSupport
import SluiceModel

/// The schemas every input is validated against: the Gateway API CRDs named by
/// SLUICE_FUZZ_CRDS (default: ../shared/gateway-api/crds beside the checkout).
let catalog: SchemaCatalog = {
    let directory = ProcessInfo.processInfo.environment["SLUICE_FUZZ_CRDS"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../../../shared/gateway-api/crds").standardized.path
    var catalog = SchemaCatalog()
    for file in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where file.hasSuffix(".yaml") {
        guard let text = try? String(contentsOfFile: directory + "/" + file, encoding: .utf8),
            let objects = try? YAMLDecoder().objects(text, file: file)
        else { continue }
        for crd in objects where crd.kind == "CustomResourceDefinition" { catalog.add(crd: crd) }
    }
    precondition(!catalog.isEmpty, "no CRDs found in \(directory); set SLUICE_FUZZ_CRDS")
    return catalog
}()

/// One input: YAML text → objects → defaults, schema, CEL → the line of every problem.
/// Anything may be refused with an error; nothing may crash or hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzYAMLValidate(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let objects = try? YAMLDecoder(maxNodes: 50_000, maxDepth: 64).objects(text, file: "fuzz.yaml") else { return 0 }
    for object in objects {
        for problem in catalog.problems(in: object) ?? [] {
            _ = object.location(of: problem.field ?? .root)
            _ = problem.description
        }
        _ = try? YAMLEncoder().encode(object.value)
        _ = object.value.jsonText()
    }
    return 0
}

_ = catalog
runLibFuzzer { data, size in fuzzYAMLValidate(data, size) }
