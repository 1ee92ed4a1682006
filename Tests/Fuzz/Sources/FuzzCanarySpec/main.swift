import FuzzSupport
import SluiceCanary
import SluiceModel

let schemas: SchemaCatalog = {
    var catalog = KindCatalog.builtInSchemas
    catalog.add(crd: CanarySpec.customResourceDefinition)
    return catalog
}()

/// One input: Canary YAML → the CRD's schema → the typed spec → the rollout configuration; an
/// object the schema accepts must decode and give a configuration or a clear error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCanarySpec(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: fuzzInput(data, size), as: UTF8.self)
    guard let objects = try? YAMLDecoder().objects(text, file: "canary.yaml") else { return 0 }
    for (object, problems) in zip(objects, schemas.problems(in: objects)) where object.kind == "Canary" {
        guard problems?.isEmpty == true else { continue }
        do {
            let canary: Canary = try object.decode()
            _ = try? CanaryOverlay<ContinuousClock>.configuration(of: canary.spec)
        } catch {
            precondition(!"\(error)".isEmpty, "an error without a message")
        }
    }
    return 0
}

runLibFuzzer { data, size in fuzzCanarySpec(data, size) }
