import Foundation
import OrderedCollections

/// JSONValue reads and writes itself through Codable, so typed structs can carry fields Sluice
/// passes through without interpreting (label selectors, TLS options, extension data).
extension JSONValue: Codable {
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            var members: JSONObject = [:]
            for key in object.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
                members[key.stringValue] = try object.decode(JSONValue.self, forKey: key)
            }
            self = .object(members)
        } else if var array = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !array.isAtEnd { items.append(try array.decode(JSONValue.self)) }
            self = .array(items)
        } else {
            let single = try decoder.singleValueContainer()
            if single.decodeNil() {
                self = .null
            } else if let flag = try? single.decode(Bool.self) {
                self = .bool(flag)
            } else if let number = try? single.decode(Int64.self) {
                self = .integer(number)
            } else if let number = try? single.decode(Double.self) {
                self = .number(number)
            } else {
                self = .string(try single.decode(String.self))
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var single = encoder.singleValueContainer()
            try single.encodeNil()
        case .bool(let flag):
            var single = encoder.singleValueContainer()
            try single.encode(flag)
        case .integer(let number):
            var single = encoder.singleValueContainer()
            try single.encode(number)
        case .number(let number):
            var single = encoder.singleValueContainer()
            try single.encode(number)
        case .string(let text):
            var single = encoder.singleValueContainer()
            try single.encode(text)
        case .array(let items):
            var array = encoder.unkeyedContainer()
            for item in items { try array.encode(item) }
        case .object(let members):
            var object = encoder.container(keyedBy: AnyKey.self)
            for (key, value) in members { try object.encode(value, forKey: AnyKey(stringValue: key)) }
        }
    }
}

/// A typed view of an object failed: which object, and why.
public struct DecodingFailure: Error, Sendable, CustomStringConvertible {
    public var object: ObjectReference
    public var message: String
    public var description: String { "\(object): \(message)" }

    public init(object: ObjectReference, message: String) {
        self.object = object
        self.message = message
    }
}

extension Object {
    /// This object as one of the typed Gateway API kinds (or any Decodable).
    public func decode<T: Decodable>(as type: T.Type = T.self) throws(DecodingFailure) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(value.jsonText().utf8))
        } catch {
            throw DecodingFailure(object: reference, message: "cannot read as \(T.self): \(error)")
        }
    }

    /// An object from a typed value: its JSON, keys in the order the type writes them.
    public init<T: Encodable>(encoding value: T) throws {
        let encoder = JSONEncoder()
        let data = try encoder.encode(value)
        let parsed = try YAMLDecoder().documents(String(decoding: data, as: UTF8.self), file: "<encoded>")
        guard case .object(let members)? = parsed.first?.value else {
            throw DecodingFailure(
                object: ObjectReference(apiVersion: "", kind: "\(T.self)", namespace: nil, name: ""),
                message: "did not encode as a JSON object")
        }
        self.init(members)
    }
}
