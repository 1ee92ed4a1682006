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

    public init(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .integer(let number): self = .int(number)
        case .number(let number): self = .double(number)
        case .string(let text): self = .string(text)
        case .array(let items): self = .list(items.map(CELValue.init))
        case .object(let members): self = .map(members.mapValues(CELValue.init))
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
        case .list: "list"
        case .map: "map"
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
