import Foundation
import SluiceModel

/// A label selector in its string form: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`,
/// `a notin (x)`, comma-separated requirements that must all hold.
struct LabelSelector: Sendable {
    enum Requirement: Sendable {
        case equals(String, String), notEquals(String, String), exists(String), notExists(String)
        case `in`(String, Set<String>), notIn(String, Set<String>)
    }

    var requirements: [Requirement] = []

    init(parsing text: String) throws(APIError) {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if character == ",", depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        for raw in parts {
            let part = raw.trimming(" ")
            guard !part.isEmpty else { continue }
            if let range = part.range(of: " notin ") {
                requirements.append(.notIn(String(part[..<range.lowerBound]).trimming(" "), try Self.values(part[range.upperBound...])))
            } else if let range = part.range(of: " in ") {
                requirements.append(.in(String(part[..<range.lowerBound]).trimming(" "), try Self.values(part[range.upperBound...])))
            } else if let range = part.range(of: "!=") {
                requirements.append(.notEquals(String(part[..<range.lowerBound]), String(part[range.upperBound...])))
            } else if let range = part.range(of: "==") ?? part.range(of: "=") {
                requirements.append(.equals(String(part[..<range.lowerBound]), String(part[range.upperBound...])))
            } else if part.hasPrefix("!") {
                requirements.append(.notExists(String(part.dropFirst())))
            } else {
                requirements.append(.exists(part))
            }
        }
    }

    private static func values(_ text: Substring) throws(APIError) -> Set<String> {
        let trimmed = String(text).trimming(" ")
        guard trimmed.hasPrefix("("), trimmed.hasSuffix(")") else {
            throw APIError.badRequest("unable to parse requirement: found '\(trimmed)', expected: '('")
        }
        return Set(trimmed.dropFirst().dropLast().split(separator: ",").map { String($0).trimming(" ") })
    }

    func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): labels[key] == value
            case .notEquals(let key, let value): labels[key] != value
            case .exists(let key): labels[key] != nil
            case .notExists(let key): labels[key] == nil
            case .in(let key, let values): labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): !(labels[key].map(values.contains) ?? false)
            }
        }
    }
}

/// A field selector: `metadata.name=x`, `metadata.namespace!=y`, comma-separated.
struct FieldSelector: Sendable {
    var requirements: [(path: FieldPath, value: String, equal: Bool)] = []

    init(parsing text: String) throws(APIError) {
        for part in text.split(separator: ",") {
            if let range = part.range(of: "!=") {
                requirements.append((FieldPath(parsing: String(part[..<range.lowerBound])), String(part[range.upperBound...]), false))
            } else if let range = part.range(of: "==") ?? part.range(of: "=") {
                requirements.append((FieldPath(parsing: String(part[..<range.lowerBound])), String(part[range.upperBound...]), true))
            } else {
                throw APIError.badRequest("invalid selector: '\(text)'; can't understand '\(part)'")
            }
        }
    }

    func matches(_ value: JSONValue) -> Bool {
        requirements.allSatisfy { requirement in
            let actual = value[requirement.path].map { $0.stringValue ?? $0.jsonText() } ?? ""
            return (actual == requirement.value) == requirement.equal
        }
    }
}

extension String {
    func trimming(_ character: Character) -> String {
        var text = Substring(self)
        while text.first == character { text = text.dropFirst() }
        while text.last == character { text = text.dropLast() }
        return String(text)
    }
}
