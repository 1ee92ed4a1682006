import OrderedCollections

/// Small builders for OpenAPI v3 schemas in the shape CustomResourceDefinitions use, so that
/// Sluice's own schemas for the Gateway API read like the types in the spec.
enum OpenAPISchema {
    /// An `x-kubernetes-validations` entry.
    struct Rule {
        var message: String
        var rule: String

        var value: JSONValue { ["message": .string(message), "rule": .string(rule)] }
    }

    static func string(
        pattern: String? = nil, minLength: Int? = nil, maxLength: Int? = nil, format: String? = nil,
        enum values: [String]? = nil, default defaultValue: JSONValue? = nil, rules: [Rule] = []
    ) -> JSONValue {
        var schema: JSONObject = [:]
        if let defaultValue { schema["default"] = defaultValue }
        if let values { schema["enum"] = .array(values.map(JSONValue.string)) }
        if let format { schema["format"] = .string(format) }
        if let maxLength { schema["maxLength"] = .integer(Int64(maxLength)) }
        if let minLength { schema["minLength"] = .integer(Int64(minLength)) }
        if let pattern { schema["pattern"] = .string(pattern) }
        schema["type"] = "string"
        if !rules.isEmpty { schema["x-kubernetes-validations"] = .array(rules.map(\.value)) }
        return .object(schema)
    }

    static func integer(
        format: String? = nil, minimum: Int64? = nil, maximum: Int64? = nil, enum values: [Int64]? = nil,
        default defaultValue: JSONValue? = nil
    ) -> JSONValue {
        var schema: JSONObject = [:]
        if let defaultValue { schema["default"] = defaultValue }
        if let values { schema["enum"] = .array(values.map(JSONValue.integer)) }
        if let format { schema["format"] = .string(format) }
        if let maximum { schema["maximum"] = .integer(maximum) }
        if let minimum { schema["minimum"] = .integer(minimum) }
        schema["type"] = "integer"
        return .object(schema)
    }

    static func object(
        _ properties: KeyValuePairs<String, JSONValue>, required: [String] = [],
        default defaultValue: JSONValue? = nil, mapType: String? = nil, rules: [Rule] = [],
        oneOf: [JSONValue]? = nil
    ) -> JSONValue {
        object(
            fields: properties.map { ($0.key, $0.value) }, required: required, default: defaultValue, mapType: mapType,
            rules: rules, oneOf: oneOf)
    }

    static func object(
        fields properties: [(String, JSONValue)], required: [String] = [],
        default defaultValue: JSONValue? = nil, mapType: String? = nil, rules: [Rule] = [],
        oneOf: [JSONValue]? = nil
    ) -> JSONValue {
        var schema: JSONObject = [:]
        if let defaultValue { schema["default"] = defaultValue }
        if let oneOf { schema["oneOf"] = .array(oneOf) }
        var members: JSONObject = [:]
        for (name, property) in properties { members[name] = property }
        if !members.isEmpty { schema["properties"] = .object(members) }
        if !required.isEmpty { schema["required"] = .array(required.map(JSONValue.string)) }
        schema["type"] = "object"
        if let mapType { schema["x-kubernetes-map-type"] = .string(mapType) }
        if !rules.isEmpty { schema["x-kubernetes-validations"] = .array(rules.map(\.value)) }
        return .object(schema)
    }

    /// A map from strings to `values` (`additionalProperties`).
    static func map(of values: JSONValue, maxProperties: Int? = nil, rules: [Rule] = []) -> JSONValue {
        var schema: JSONObject = ["additionalProperties": values]
        if let maxProperties { schema["maxProperties"] = .integer(Int64(maxProperties)) }
        schema["type"] = "object"
        if !rules.isEmpty { schema["x-kubernetes-validations"] = .array(rules.map(\.value)) }
        return .object(schema)
    }

    static func array(
        of items: JSONValue, minItems: Int? = nil, maxItems: Int? = nil, listType: String? = nil,
        mapKeys: [String]? = nil, default defaultValue: JSONValue? = nil, rules: [Rule] = []
    ) -> JSONValue {
        var schema: JSONObject = [:]
        if let defaultValue { schema["default"] = defaultValue }
        schema["items"] = items
        if let maxItems { schema["maxItems"] = .integer(Int64(maxItems)) }
        if let minItems { schema["minItems"] = .integer(Int64(minItems)) }
        schema["type"] = "array"
        if let mapKeys { schema["x-kubernetes-list-map-keys"] = .array(mapKeys.map(JSONValue.string)) }
        if let listType { schema["x-kubernetes-list-type"] = .string(listType) }
        if !rules.isEmpty { schema["x-kubernetes-validations"] = .array(rules.map(\.value)) }
        return .object(schema)
    }

    /// The root of a custom resource's schema: apiVersion, kind, metadata, and its own fields.
    static func resource(spec: JSONValue, status: JSONValue? = nil, requireSpec: Bool = true) -> JSONValue {
        var properties: KeyValuePairs<String, JSONValue> {
            if let status {
                return ["apiVersion": ["type": "string"], "kind": ["type": "string"], "metadata": ["type": "object"],
                        "spec": spec, "status": status]
            }
            return ["apiVersion": ["type": "string"], "kind": ["type": "string"], "metadata": ["type": "object"], "spec": spec]
        }
        return object(properties, required: requireSpec ? ["spec"] : [])
    }
}
