import Crypto
import Foundation
import OrderedCollections
import SluiceModel

/// kustomize's content hash for generated ConfigMaps and Secrets: SHA-256 of a small JSON
/// object (keys sorted, HTML characters escaped as Go's encoding/json does), the first ten hex
/// digits with vowel-like digits replaced. kustomize looks the name up under a key it never
/// finds, so the name it hashes is always "".
enum NameHash {
    static func hash(_ object: Object) -> String {
        var fields: [(String, String)] = [("kind", json(.string(object.kind))), ("name", "\"\"")]
        let content = object.content
        if object.kind == "ConfigMap" {
            fields.append(("data", value(content["data"])))
            if case .object = content["binaryData"] ?? .null { fields.append(("binaryData", value(content["binaryData"]))) }
        } else {
            fields.append(("data", value(content["data"])))
            fields.append(("type", value(content["type"])))
            if case .object = content["stringData"] ?? .null { fields.append(("stringData", value(content["stringData"]))) }
        }
        let text = "{" + fields.sorted { $0.0 < $1.0 }.map { "\(json(.string($0.0))):\($0.1)" }.joined(separator: ",") + "}"
        let digest = SHA256.hash(data: Data(text.utf8))
        let hex = digest.map { String(format: "%02x", $0) }.joined()
        return String(hex.prefix(10).map { character -> Character in
            switch character {
            case "0": "g"
            case "1": "h"
            case "3": "k"
            case "a": "m"
            case "e": "t"
            default: character
            }
        })
    }

    /// A missing field is hashed as the empty string, as kustomize does.
    private static func value(_ value: JSONValue?) -> String {
        guard let value, !value.isNull else { return "\"\"" }
        if case .object = value { return json(value) }
        return json(.string(scalarText(value)))
    }

    private static func scalarText(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .integer(let number): String(number)
        case .bool(let flag): String(flag)
        case .number(let number): GoFloat.format(number)
        default: ""
        }
    }

    /// Go's encoding/json: sorted keys, `<`, `>`, `&`, U+2028 and U+2029 escaped.
    static func json(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .integer(let number): return String(number)
        case .number(let number): return GoFloat.formatJSON(number)
        case .string(let text):
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "<", ">", "&", "\u{2028}", "\u{2029}":
                    out += String(format: "\\u%04x", scalar.value)
                default:
                    if scalar.value < 0x20 {
                        out += String(format: "\\u%04x", scalar.value)
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "\""
        case .array(let items):
            return "[" + items.map(json).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.keys.sorted().map { "\(json(.string($0))):\(json(members[$0]!))" }.joined(separator: ",") + "}"
        }
    }
}
