import OrderedCollections

/// A CEL runtime value, as the Kubernetes API server's CEL environment sees object fields:
/// JSON objects become maps, integers `int`, other numbers `double`.
public enum CELValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    case list([CELValue])
    case map(OrderedDictionary<String, CELValue>)
    /// A duration, in nanoseconds (`duration('1h')`).
    case duration(Int64)
    case type(String)
    /// A list or map straight from an object, converted element by element only when a rule
    /// reaches into it: rules on large objects look at a few fields.
    case jsonList([JSONValue])
    case jsonMap(JSONObject)

    public init(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .integer(let number): self = .int(number)
        case .number(let number): self = .double(number)
        case .string(let text): self = .string(text)
        case .array(let items): self = .jsonList(items)
        case .object(let members): self = .jsonMap(members)
        }
    }

    /// The elements of a list, or nil for anything else.
    var listElements: [CELValue]? {
        switch self {
        case .list(let items): items
        case .jsonList(let items): items.map(CELValue.init)
        default: nil
        }
    }

    /// The keys of a map, in order, or nil for anything else.
    var mapKeys: [String]? {
        switch self {
        case .map(let members): Array(members.keys)
        case .jsonMap(let members): Array(members.keys)
        default: nil
        }
    }

    var isMap: Bool { mapKeys != nil }

    /// `value[key]` for a map: `.some(nil)` when the key is absent, nil when this is no map.
    func member(_ key: String) -> CELValue?? {
        switch self {
        case .map(let members): .some(members[key])
        case .jsonMap(let members): .some(members[key].map(CELValue.init))
        default: nil
        }
    }

    /// Size of a list or map.
    var containerCount: Int? {
        switch self {
        case .list(let items): items.count
        case .jsonList(let items): items.count
        case .map(let members): members.count
        case .jsonMap(let members): members.count
        default: nil
        }
    }

    var typeName: String {
        switch self {
        case .null: "null_type"
        case .bool: "bool"
        case .int: "int"
        case .uint: "uint"
        case .double: "double"
        case .string: "string"
        case .bytes: "bytes"
        case .list, .jsonList: "list"
        case .map, .jsonMap: "map"
        case .duration: "google.protobuf.Duration"
        case .type: "type"
        }
    }
}

/// A failure while compiling or evaluating a CEL expression.
public struct CELError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
