/// The schemas of the kinds a validator knows, from CustomResourceDefinitions, by group, kind
/// and version.
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
    /// and fields the schema does not declare. Nil when the catalog has no schema for its kind.
    public func problems(in object: Object) -> [FieldError]? {
        guard let schema = schema(for: object) else { return nil }
        let validator = SchemaValidator()
        let defaulted = validator.applyingDefaults(to: object.value, schema: schema)
        var problems = validator.validate(defaulted, against: schema)
        for path in validator.unknownFields(object.value, against: schema) {
            problems.append(FieldError(.unknownField, field: path))
        }
        return problems
    }
}
