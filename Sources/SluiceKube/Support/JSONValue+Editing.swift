import OrderedCollections
import SluiceModel

extension JSONValue {
    /// This object with `key` set (appended when new, replaced in place otherwise); nil removes it.
    func setting(_ key: String, _ value: JSONValue?) -> JSONValue {
        guard case .object(var members) = self else { return self }
        members[key] = value
        return .object(members)
    }

    /// The value with every object's keys sorted, as Go's encoding/json writes a map (the API
    /// server's answer for custom resources, which it holds as maps).
    var sortedKeys: JSONValue {
        switch self {
        case .object(let members):
            var sorted = JSONObject(minimumCapacity: members.count)
            for key in members.keys.sorted() { sorted[key] = members[key]!.sortedKeys }
            return .object(sorted)
        case .array(let items): return .array(items.map(\.sortedKeys))
        default: return self
        }
    }

    /// The value at `path` replaced by `value` (objects created on the way; nil removes).
    func replacing(_ keys: ArraySlice<String>, with value: JSONValue?) -> JSONValue {
        guard let first = keys.first else { return value ?? .null }
        var members = objectValue ?? [:]
        if keys.count == 1 {
            members[first] = value
        } else {
            let child = members[first] ?? .object([:])
            members[first] = child.replacing(keys.dropFirst(), with: value)
        }
        return .object(members)
    }

    func replacing(_ path: [String], with value: JSONValue?) -> JSONValue { replacing(path[...], with: value) }
}
