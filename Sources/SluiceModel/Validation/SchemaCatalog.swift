/// The schemas of the kinds a validator knows, from CustomResourceDefinitions, by group, kind
/// and version.
import Dispatch
import Foundation
import Synchronization

public struct SchemaCatalog: Sendable {
    public struct Key: Sendable, Hashable {
        public var group: String
        public var kind: String
        public var version: String
    }

    private var schemas: [Key: StructuralSchema] = [:]

    public init() {}

    /// Adds every version of a CustomResourceDefinition; later additions replace earlier ones.
    public mutating func add(crd: Object) {
        guard let group = crd[FieldPath(parsing: "spec.group")]?.stringValue,
            let kind = crd[FieldPath(parsing: "spec.names.kind")]?.stringValue
        else { return }
        for (version, schema) in StructuralSchema.versions(of: crd) {
            schemas[Key(group: group, kind: kind, version: version)] = schema
        }
    }

    public var isEmpty: Bool { schemas.isEmpty }
    public var count: Int { schemas.count }

    public func schema(for object: Object) -> StructuralSchema? {
        schemas[Key(group: object.group, kind: object.kind, version: object.version)]
    }

    /// The problems the API server would refuse `object` for: schema errors after defaulting,
    /// CEL rule failures (or the server's note that they were skipped), and fields the schema
    /// does not declare. Nil when the catalog has no schema for its kind. With `old` (an update),
    /// transition rules (`oldSelf`, such as "Value is immutable") run too.
    public func problems(in object: Object, old: Object? = nil) -> [FieldError]? {
        guard let schema = schema(for: object) else { return nil }
        let validator = SchemaValidator()
        let defaulted = validator.applyingDefaults(to: object.value, schema: schema)
        var problems = ObjectMetaValidator.errors(in: object)
        problems += validator.apiServerErrors(defaulted, against: schema, old: old?.value)
        for path in validator.unknownFields(object.value, against: schema) {
            problems.append(FieldError(.unknownField, field: path))
        }
        return problems
    }

    /// `problems(in:)` for many objects, spread over the machine's cores; results in input order.
    public func problems(in objects: [Object]) -> [[FieldError]?] {
        let chunkCount = max(1, min(objects.count / 64, ProcessInfo.processInfo.activeProcessorCount * 4))
        let chunkSize = (objects.count + chunkCount - 1) / max(chunkCount, 1)
        let results = Mutex<[[FieldError]?]>(Array(repeating: nil, count: objects.count))
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            let range = (chunk * chunkSize)..<min(objects.count, (chunk + 1) * chunkSize)
            guard !range.isEmpty else { return }
            let found = range.map { problems(in: objects[$0]) }
            results.withLock { $0.replaceSubrange(range, with: found) }
        }
        return results.withLock { $0 }
    }
}
