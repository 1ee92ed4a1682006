import SluiceModel

/// Which fields one field manager owns in a live object, read from its `metadata.managedFields`
/// (structured-merge-diff's fieldsV1: `f:` members, `k:` list-map items, `v:` set items, `i:`
/// indexes; an empty object marks a leaf, which for an atomic list such as `spec.rules` is the
/// whole list).
///
/// Why the drift detector asks: any write that changes a field, an Update (`kubectl edit`) as
/// much as a forced apply, moves that field to the writer. A field that differs from Sluice's
/// tracked state yet is still Sluice's can only have been written by Sluice itself: a sync that
/// has applied a newer revision and not yet handed it to `track`, which is not drift.
struct FieldOwnership: Sendable {
    /// The fieldsV1 trees of the manager's non-subresource entries.
    let trees: [JSONValue]

    init(of object: Object, manager: String) {
        let entries = object[FieldPath(parsing: "metadata.managedFields")]?.arrayValue ?? []
        trees = entries.compactMap { entry in
            guard entry["manager"]?.stringValue == manager, entry["subresource"] == nil else { return nil }
            return entry["fieldsV1"]
        }
    }

    /// Whether the manager owns `path` in `live` (the path itself, or an atomic field holding it).
    func owns(_ path: FieldPath, in live: JSONValue) -> Bool {
        trees.contains { Self.owns(path.components[...], tree: $0, value: live) }
    }

    private static func owns(_ path: ArraySlice<FieldPath.Component>, tree: JSONValue, value: JSONValue?) -> Bool {
        guard case .object(let members) = tree else { return false }
        // An empty set of children is a leaf: the manager owns this field whole.
        if members.isEmpty { return true }
        // The path ends here and the manager holds this node (or fields below it).
        guard let first = path.first else { return true }
        switch first {
        case .key(let key):
            guard let child = members["f:" + key] else { return false }
            return owns(path.dropFirst(), tree: child, value: value?[key])
        case .index(let index):
            let item = value?.arrayValue.flatMap { index < $0.count ? $0[index] : nil }
            if let child = members["i:\(index)"] { return owns(path.dropFirst(), tree: child, value: item) }
            guard let item else { return false }
            if let child = members["v:" + item.jsonText()] { return owns(path.dropFirst(), tree: child, value: item) }
            for (name, child) in members where name.hasPrefix("k:") {
                if Self.item(item, matchesKeys: String(name.dropFirst(2))) {
                    return owns(path.dropFirst(), tree: child, value: item)
                }
            }
            return false
        }
    }

    /// Whether a list-map item has the key fields `{"name":"http","port":80}` names.
    private static func item(_ item: JSONValue, matchesKeys json: String) -> Bool {
        guard let document = try? YAMLDecoder().documents(json, file: "managedFields").first,
            case .object(let keys) = document.value
        else { return false }
        return keys.allSatisfy { key, expected in item[key] == expected }
    }
}
