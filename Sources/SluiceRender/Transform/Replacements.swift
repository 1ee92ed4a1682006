import Foundation
import OrderedCollections
import SluiceModel

/// `replacements`: copy a value from one object's field into fields of others. Field paths are
/// dotted (`spec.template.spec.containers.[name=web].image`, `metadata.labels.app`, `a.0.b`);
/// `options` take part of a delimited value (`delimiter`, `index`) or create missing fields.
struct Replacements {
    let kustomization: Kustomization

    func run(on resources: inout [Resource]) throws(RenderError) {
        for (index, entry) in try kustomization.list("replacements").enumerated() {
            let location = kustomization.location(of: "replacements", .index(index))
            guard let members = entry.objectValue else {
                throw RenderError("invalid Kustomization: replacements[\(index)] must be a mapping", at: location)
            }
            if members["path"] != nil {
                throw RenderError("replacements from a file ('path') are not supported by Sluice's renderer", at: location)
            }
            guard let source = members["source"]?.objectValue else {
                throw RenderError("replacements[\(index)] needs a source", at: location)
            }
            let selector = try Selector(.object(source.filter { ["group", "version", "kind", "name", "namespace"].contains($0.key) }), at: location)
            let sources = resources.filter { selector.matches($0) }
            guard sources.count == 1 else {
                throw RenderError(
                    sources.isEmpty
                        ? "nothing selected by \(Self.describe(source)): replacements must select exactly one source"
                        : "multiple matches for selector \(Self.describe(source)): replacements must select exactly one source",
                    at: location)
            }
            let fieldPath = source["fieldPath"]?.stringValue ?? "metadata.name"
            guard var value = Self.get(.object(sources[0].object.content), Self.parse(fieldPath)) else {
                throw RenderError("fieldPath `\(fieldPath)` is missing for replacement source \(sources[0].idDescription)", at: location)
            }
            if let options = source["options"]?.objectValue, let delimiter = options["delimiter"]?.stringValue,
                let text = value.stringValue
            {
                let parts = text.components(separatedBy: delimiter)
                let position = Int(options["index"]?.integerValue ?? 0)
                guard parts.indices.contains(position) else {
                    throw RenderError("options.index \(position) is out of bounds for value \(text)", at: location)
                }
                value = .string(parts[position])
            }
            for target in members["targets"]?.arrayValue ?? [] {
                guard let targetMembers = target.objectValue, let select = targetMembers["select"] else { continue }
                let chooser = try Selector(select, at: location)
                let rejects = try (targetMembers["reject"]?.arrayValue ?? []).map { reject throws(RenderError) in try Selector(reject, at: location) }
                let options = targetMembers["options"]?.objectValue ?? [:]
                let paths = (targetMembers["fieldPaths"]?.arrayValue ?? []).compactMap(\.stringValue)
                for position in resources.indices where chooser.matches(resources[position]) && !rejects.contains(where: { $0.matches(resources[position]) }) {
                    var content = JSONValue.object(resources[position].object.content)
                    for path in paths {
                        try Self.set(&content, Self.parse(path)[...], value: value, options: options, path: path, at: location)
                    }
                    if case .object(let updated) = content { resources[position].object.content = updated }
                }
            }
        }
    }

    static func describe(_ source: JSONObject) -> String {
        source.filter { $0.key != "fieldPath" && $0.key != "options" }.map { "\($0.key)=\($0.value.stringValue ?? "")" }.joined(separator: ",")
    }

    /// Splits a dotted path, keeping `[...]` selectors whole.
    static func parse(_ path: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for character in path {
            if character == "[" { depth += 1 }
            if character == "]" { depth -= 1 }
            if character == "." && depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        return parts
    }

    static func get(_ value: JSONValue, _ path: [String]) -> JSONValue? {
        var current = value
        for part in path {
            switch current {
            case .object(let members):
                guard let next = members[part] else { return nil }
                current = next
            case .array(let items):
                if let index = Int(part), items.indices.contains(index) {
                    current = items[index]
                } else if let (key, wanted) = selector(part), let found = items.first(where: { $0[key]?.stringValue == wanted }) {
                    current = found
                } else {
                    return nil
                }
            default:
                return nil
            }
        }
        return current
    }

    static func selector(_ part: String) -> (String, String)? {
        guard part.hasPrefix("["), part.hasSuffix("]"), let equals = part.firstIndex(of: "=") else { return nil }
        return (String(part[part.index(after: part.startIndex)..<equals]), String(part[part.index(after: equals)..<part.index(before: part.endIndex)]))
    }

    static func set(
        _ target: inout JSONValue, _ path: ArraySlice<String>, value: JSONValue, options: JSONObject,
        path fullPath: String, at location: SourceLocation
    ) throws(RenderError) {
        guard let part = path.first else {
            if let delimiter = options["delimiter"]?.stringValue, let old = target.stringValue {
                var parts = old.components(separatedBy: delimiter)
                let index = Int(options["index"]?.integerValue ?? 0)
                let text = value.stringValue ?? ""
                if index >= parts.count {
                    parts.append(text)
                } else if index < 0 {
                    parts.insert(text, at: 0)
                } else {
                    parts[index] = text
                }
                target = .string(parts.joined(separator: delimiter))
            } else {
                target = value
            }
            return
        }
        let create = options["create"]?.boolValue ?? false
        switch target {
        case .object(var members):
            var child: JSONValue
            if let existing = members[part] {
                child = existing
            } else if create {
                child = .object([:])
                if path.count == 1 { child = .null }
            } else {
                return
            }
            try set(&child, path.dropFirst(), value: value, options: options, path: fullPath, at: location)
            members[part] = child
            target = .object(members)
        case .array(var items):
            if part == "*" {
                for index in items.indices { try set(&items[index], path.dropFirst(), value: value, options: options, path: fullPath, at: location) }
            } else if let index = Int(part) {
                guard items.indices.contains(index) else { return }
                try set(&items[index], path.dropFirst(), value: value, options: options, path: fullPath, at: location)
            } else if let (key, wanted) = selector(part) {
                for index in items.indices where items[index][key]?.stringValue == wanted {
                    try set(&items[index], path.dropFirst(), value: value, options: options, path: fullPath, at: location)
                }
            }
            target = .array(items)
        default:
            return
        }
    }
}
