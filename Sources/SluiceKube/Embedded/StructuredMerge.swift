import OrderedCollections
import SluiceModel

/// Server-side apply's structured merge, driven by the kind's schema: which fields a value sets,
/// how an applied configuration merges into the live object (atomic lists replaced whole,
/// list-maps merged item by item on their keys, sets merged by value), which fields changed, and
/// how owned fields are removed.
///
/// Fields without a schema (`x-kubernetes-preserve-unknown-fields`) follow the rules the API
/// server deduces for them: objects are merged member by member, lists are atomic.
enum StructuredMerge {
    /// What the schema says about a list.
    enum ListKind {
        case atomic
        case set
        /// `defaults`: the schema's default of each key field that has one. An item that leaves
        /// such a key out is the item with the default (a Service port without `protocol` is the
        /// TCP one), as structured-merge-diff keys it; otherwise applying the same manifest twice
        /// would add a second item.
        case map(keys: [String], defaults: [String: JSONValue])

        init(_ schema: StructuralSchema?) {
            switch schema?.listType {
            case "set": self = .set
            case "map":
                let keys = schema?.listMapKeys ?? []
                var defaults: [String: JSONValue] = [:]
                for key in keys {
                    if let value = schema?.items?.properties[key]?.defaultValue { defaults[key] = value }
                }
                self = .map(keys: keys, defaults: defaults)
            default: self = .atomic
            }
        }
    }

    static func childSchema(_ schema: StructuralSchema?, _ key: String) -> StructuralSchema? {
        guard let schema else { return nil }
        return schema.properties[key] ?? schema.additionalProperties
    }

    static func isAtomicMap(_ schema: StructuralSchema?) -> Bool {
        schema?.mapType == "atomic"
    }

    /// The path element of a list item: its keys for a list-map, its value for a set.
    static func element(of item: JSONValue, in kind: ListKind, index: Int) -> PathElement {
        switch kind {
        case .atomic: return .index(index)
        case .set: return .value(item.jsonText())
        case .map(let keys, let defaults):
            var members = JSONObject()
            for key in keys.sorted() { if let value = item[key] ?? defaults[key] { members[key] = value } }
            return .key(JSONValue.object(members).jsonText())
        }
    }

    // MARK: - Field sets

    /// The fields `value` sets: leaves, atomic lists and maps whole, list-map and set items.
    static func fieldSet(of value: JSONValue, schema: StructuralSchema?) -> FieldSet {
        var set = FieldSet()
        collect(value, schema, path: [], into: &set)
        return set
    }

    private static func collect(_ value: JSONValue, _ schema: StructuralSchema?, path: [PathElement], into set: inout FieldSet) {
        switch value {
        case .object(let members):
            if isAtomicMap(schema) {
                set.insert(path)
                return
            }
            for (key, child) in members {
                collect(child, childSchema(schema, key), path: path + [.field(key)], into: &set)
            }
        case .array(let items):
            let kind = ListKind(schema)
            switch kind {
            case .atomic:
                set.insert(path)
            case .set, .map:
                for (index, item) in items.enumerated() {
                    let itemPath = path + [element(of: item, in: kind, index: index)]
                    set.insert(itemPath)
                    if case .map = kind { collect(item, schema?.items, path: itemPath, into: &set) }
                }
            }
        default:
            set.insert(path)
        }
    }

    /// The fields that differ from `old` to `new` (added or modified); a member that did not
    /// exist before is itself in the set (`"."`) together with everything under it.
    static func changes(from old: JSONValue?, to new: JSONValue, schema: StructuralSchema?) -> FieldSet {
        var set = FieldSet()
        diff(old, new, schema, path: [], into: &set)
        return set
    }

    private static func diff(_ old: JSONValue?, _ new: JSONValue, _ schema: StructuralSchema?, path: [PathElement], into set: inout FieldSet) {
        guard let old else {
            insertAll(new, schema, path: path, into: &set)
            return
        }
        if old == new { return }
        switch (old, new) {
        case (.object(let before), .object(let after)) where !isAtomicMap(schema):
            for (key, child) in after {
                diff(before[key], child, childSchema(schema, key), path: path + [.field(key)], into: &set)
            }
        case (.array(let before), .array(let after)):
            let kind = ListKind(schema)
            switch kind {
            case .atomic:
                set.insert(path)
            case .set, .map:
                var previous: [PathElement: JSONValue] = [:]
                for (index, item) in before.enumerated() { previous[element(of: item, in: kind, index: index)] = item }
                for (index, item) in after.enumerated() {
                    let itemElement = element(of: item, in: kind, index: index)
                    if case .map = kind {
                        diff(previous[itemElement], item, schema?.items, path: path + [itemElement], into: &set)
                    } else if previous[itemElement] == nil {
                        set.insert(path + [itemElement])
                    }
                }
            }
        default:
            set.insert(path)
        }
    }

    /// A value that did not exist before: itself and every member, item and leaf under it.
    private static func insertAll(_ value: JSONValue, _ schema: StructuralSchema?, path: [PathElement], into set: inout FieldSet) {
        set.insert(path)
        switch value {
        case .object(let members) where !isAtomicMap(schema):
            for (key, child) in members { insertAll(child, childSchema(schema, key), path: path + [.field(key)], into: &set) }
        case .array(let items):
            let kind = ListKind(schema)
            switch kind {
            case .atomic: break
            case .set:
                for (index, item) in items.enumerated() { set.insert(path + [element(of: item, in: kind, index: index)]) }
            case .map:
                for (index, item) in items.enumerated() {
                    insertAll(item, schema?.items, path: path + [element(of: item, in: kind, index: index)], into: &set)
                }
            }
        default:
            break
        }
    }

    // MARK: - Merge and removal

    /// `applied` merged into `live`.
    static func merge(_ live: JSONValue?, _ applied: JSONValue, schema: StructuralSchema?) -> JSONValue {
        guard let live else { return applied }
        switch (live, applied) {
        case (.object(var members), .object(let changes)) where !isAtomicMap(schema):
            for (key, value) in changes {
                members[key] = merge(members[key], value, schema: childSchema(schema, key))
            }
            return .object(members)
        case (.array(var items), .array(let changes)):
            let kind = ListKind(schema)
            switch kind {
            case .atomic:
                return applied
            case .set, .map:
                var positions: [PathElement: Int] = [:]
                for (index, item) in items.enumerated() { positions[element(of: item, in: kind, index: index)] = index }
                for (index, item) in changes.enumerated() {
                    let itemElement = element(of: item, in: kind, index: index)
                    if let position = positions[itemElement] {
                        items[position] = merge(items[position], item, schema: schema?.items)
                    } else {
                        positions[itemElement] = items.count
                        items.append(item)
                    }
                }
                return .array(items)
            }
        default:
            return applied
        }
    }

    /// `value` without the fields in `set` (a member in the set goes whole). Objects left empty
    /// by the removal go too, as the API server prunes them.
    static func removing(_ set: FieldSet, from value: JSONValue, schema: StructuralSchema?) -> JSONValue? {
        if set.isMember { return nil }
        if set.children.isEmpty { return value }
        switch value {
        case .object(var members):
            for (element, childSet) in set.children {
                guard case .field(let key) = element, let child = members[key] else { continue }
                let remaining = removing(childSet, from: child, schema: childSchema(schema, key))
                members[key] = remaining
                if case .object(let left)? = remaining, left.isEmpty, !childSet.isMember, child != .object([:]) {
                    members[key] = nil
                }
            }
            return .object(members)
        case .array(let items):
            let kind = ListKind(schema)
            var kept: [JSONValue] = []
            for (index, item) in items.enumerated() {
                guard let itemSet = set.children[element(of: item, in: kind, index: index)] else {
                    kept.append(item)
                    continue
                }
                if let remaining = removing(itemSet, from: item, schema: schema?.items) { kept.append(remaining) }
            }
            return .array(kept)
        default:
            return value
        }
    }
}
