import OrderedCollections

/// An OpenAPI v3 structural schema as a CustomResourceDefinition declares it: what
/// the API server validates, defaults and prunes with.
public final class StructuralSchema: Sendable {
    public let type: String?
    public let properties: OrderedDictionary<String, StructuralSchema>
    public let items: StructuralSchema?
    /// `additionalProperties` as a schema (for maps); nil when absent or a boolean.
    public let additionalProperties: StructuralSchema?
    public let required: [String]
    public let enumValues: [JSONValue]?
    public let pattern: String?
    public let format: String?
    public let minimum: Double?
    public let maximum: Double?
    public let exclusiveMinimum: Bool
    public let exclusiveMaximum: Bool
    public let minLength: Int?
    public let maxLength: Int?
    public let minItems: Int?
    public let maxItems: Int?
    public let minProperties: Int?
    public let maxProperties: Int?
    public let nullable: Bool
    public let defaultValue: JSONValue?
    public let intOrString: Bool
    public let preserveUnknownFields: Bool
    public let embeddedResource: Bool
    /// `x-kubernetes-list-type`: atomic, set or map.
    public let listType: String?
    public let listMapKeys: [String]
    /// `x-kubernetes-map-type`: granular or atomic.
    public let mapType: String?
    /// `x-kubernetes-validations`, compiled.
    public let rules: [ValidationRule]
    public let allOf: [StructuralSchema]
    public let anyOf: [StructuralSchema]
    public let oneOf: [StructuralSchema]
    public let not: StructuralSchema?
    /// Whether this node or any below it carries an `x-kubernetes-validations` rule.
    public let containsRules: Bool

    /// Reads a schema from its JSON form (`openAPIV3Schema` of a CRD version).
    public init(_ value: JSONValue) {
        func int(_ key: String) -> Int? { value[key]?.integerValue.map(Int.init) }
        func number(_ key: String) -> Double? {
            switch value[key] {
            case .integer(let n)?: Double(n)
            case .number(let n)?: n
            default: nil
            }
        }
        type = value["type"]?.stringValue
        var properties: OrderedDictionary<String, StructuralSchema> = [:]
        for (name, schema) in value["properties"]?.objectValue ?? [:] { properties[name] = StructuralSchema(schema) }
        self.properties = properties
        items = value["items"].flatMap { $0.objectValue == nil ? nil : StructuralSchema($0) }
        additionalProperties = value["additionalProperties"].flatMap { $0.objectValue == nil ? nil : StructuralSchema($0) }
        required = value["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        enumValues = value["enum"]?.arrayValue
        pattern = value["pattern"]?.stringValue
        format = value["format"]?.stringValue
        minimum = number("minimum")
        maximum = number("maximum")
        exclusiveMinimum = value["exclusiveMinimum"]?.boolValue ?? false
        exclusiveMaximum = value["exclusiveMaximum"]?.boolValue ?? false
        minLength = int("minLength")
        maxLength = int("maxLength")
        minItems = int("minItems")
        maxItems = int("maxItems")
        minProperties = int("minProperties")
        maxProperties = int("maxProperties")
        nullable = value["nullable"]?.boolValue ?? false
        defaultValue = value["default"]
        intOrString = value["x-kubernetes-int-or-string"]?.boolValue ?? false
        preserveUnknownFields = value["x-kubernetes-preserve-unknown-fields"]?.boolValue ?? false
        embeddedResource = value["x-kubernetes-embedded-resource"]?.boolValue ?? false
        listType = value["x-kubernetes-list-type"]?.stringValue
        listMapKeys = value["x-kubernetes-list-map-keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
        mapType = value["x-kubernetes-map-type"]?.stringValue
        rules = value["x-kubernetes-validations"]?.arrayValue?.map(ValidationRule.init) ?? []
        allOf = value["allOf"]?.arrayValue?.map(StructuralSchema.init) ?? []
        anyOf = value["anyOf"]?.arrayValue?.map(StructuralSchema.init) ?? []
        oneOf = value["oneOf"]?.arrayValue?.map(StructuralSchema.init) ?? []
        not = value["not"].map(StructuralSchema.init)
        containsRules = !rules.isEmpty || properties.values.contains(where: \.containsRules)
            || items?.containsRules == true || additionalProperties?.containsRules == true
    }

    /// Every rule in this schema and below it, with the path of the schema node it sits on
    /// (`[]` marks list items, `{}` map values).
    public func allRules(at path: String = "") -> [(path: String, rule: ValidationRule)] {
        var found = rules.map { (path, $0) }
        for (name, property) in properties { found += property.allRules(at: path + "." + name) }
        if let items { found += items.allRules(at: path + "[]") }
        if let additionalProperties { found += additionalProperties.allRules(at: path + "{}") }
        return found
    }

    /// The schema of each served version of a CustomResourceDefinition, keyed by version name.
    public static func versions(of crd: Object) -> [String: StructuralSchema] {
        var schemas: [String: StructuralSchema] = [:]
        for version in crd[FieldPath(parsing: "spec.versions")]?.arrayValue ?? [] {
            guard let name = version["name"]?.stringValue,
                let schema = version[FieldPath(parsing: "schema.openAPIV3Schema")]
            else { continue }
            schemas[name] = StructuralSchema(schema)
        }
        return schemas
    }
}
