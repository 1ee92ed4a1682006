import Foundation
import OrderedCollections
import SluiceModel

/// Which resources a patch or replacement targets: group, version, kind, name and namespace
/// (regular expressions matched whole, against current or original values), label and
/// annotation selectors.
struct Selector {
    var group: String?
    var version: String?
    var kind: String?
    var name: Regex<AnyRegexOutput>?
    var namespace: Regex<AnyRegexOutput>?
    var labels: LabelSelector?
    var annotations: LabelSelector?

    init(_ value: JSONValue, at location: SourceLocation, exactName: Bool = false) throws(RenderError) {
        guard let members = value.objectValue else {
            throw RenderError("a target must be a mapping", at: location)
        }
        for key in members.keys
        where !["group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector"].contains(key) {
            throw RenderError("invalid Kustomization: json: unknown field \"\(key)\" in target", at: location)
        }
        group = members["group"]?.stringValue
        version = members["version"]?.stringValue
        kind = members["kind"]?.stringValue
        func regex(_ key: String) throws(RenderError) -> Regex<AnyRegexOutput>? {
            guard let text = members[key]?.stringValue, !text.isEmpty else { return nil }
            do {
                return try Regex("^(?:\(text))$")
            } catch {
                throw RenderError("target \(key) '\(text)' is not a valid regular expression", at: location)
            }
        }
        name = try regex("name")
        namespace = try regex("namespace")
        labels = try members["labelSelector"]?.stringValue.map { text throws(RenderError) in try LabelSelector(text, at: location) }
        annotations = try members["annotationSelector"]?.stringValue.map { text throws(RenderError) in try LabelSelector(text, at: location) }
    }

    func matches(_ resource: Resource) -> Bool {
        let object = resource.object
        if let group, !group.isEmpty, group != object.group { return false }
        if let version, !version.isEmpty, version != object.version { return false }
        if let kind, !kind.isEmpty, kind != object.kind { return false }
        if let name {
            guard resource.originalName.wholeMatch(of: name) != nil || object.name.wholeMatch(of: name) != nil else { return false }
        }
        if let namespace {
            let original = resource.effectiveNamespace(resource.originalNamespace)
            let current = resource.effectiveNamespace(object.namespace)
            guard original.wholeMatch(of: namespace) != nil || current.wholeMatch(of: namespace) != nil else { return false }
        }
        if let labels, !labels.matches(object.labels) { return false }
        if let annotations, !annotations.matches(object.annotations) { return false }
        return true
    }
}

/// A Kubernetes label selector string: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`.
struct LabelSelector {
    enum Requirement {
        case equals(String, String), notEquals(String, String), exists(String), absent(String)
        case within(String, Set<String>), notWithin(String, Set<String>)
    }

    var requirements: [Requirement] = []

    init(_ text: String, at location: SourceLocation) throws(RenderError) {
        var parts: [String] = []
        var depth = 0
        var current = ""
        for character in text {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if character == "," && depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        for raw in parts {
            let part = raw.trimmingCharacters(in: .whitespaces)
            if part.isEmpty { continue }
            let words = part.split(separator: " ", omittingEmptySubsequences: true)
            if words.count >= 3, words[1] == "in" || words[1] == "notin" {
                let listText = words[2...].joined(separator: " ").trimmingCharacters(in: CharacterSet(charactersIn: "() "))
                let values = Set(listText.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                requirements.append(words[1] == "in" ? .within(String(words[0]), values) : .notWithin(String(words[0]), values))
            } else if let range = part.range(of: "!=") {
                requirements.append(.notEquals(part[..<range.lowerBound].trimmingCharacters(in: .whitespaces), part[range.upperBound...].trimmingCharacters(in: .whitespaces)))
            } else if let range = part.range(of: "==") ?? part.range(of: "=") {
                requirements.append(.equals(part[..<range.lowerBound].trimmingCharacters(in: .whitespaces), part[range.upperBound...].trimmingCharacters(in: .whitespaces)))
            } else if part.hasPrefix("!") {
                requirements.append(.absent(part.dropFirst().trimmingCharacters(in: .whitespaces)))
            } else if words.count == 1 {
                requirements.append(.exists(part))
            } else {
                throw RenderError("unable to parse requirement: '\(part)'", at: location)
            }
        }
    }

    func matches(_ labels: OrderedDictionary<String, String>) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): labels[key] == value
            case .notEquals(let key, let value): labels[key] != value
            case .exists(let key): labels[key] != nil
            case .absent(let key): labels[key] == nil
            case .within(let key, let values): labels[key].map(values.contains) ?? false
            case .notWithin(let key, let values): !(labels[key].map(values.contains) ?? false)
            }
        }
    }
}
