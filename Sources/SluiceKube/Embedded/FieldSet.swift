import OrderedCollections
import SluiceModel

/// One step of a field path in structured-merge-diff terms: a member of an object (`f:`), an
/// item of a list-map by its keys (`k:`), an item of a set by value (`v:`), or a list index (`i:`).
enum PathElement: Hashable, Comparable, CustomStringConvertible {
    case field(String)
    /// The keys of a list-map item as compact JSON, keys sorted (`{"name":"http"}`).
    case key(String)
    /// A set item as compact JSON.
    case value(String)
    case index(Int)

    /// How fieldsV1 spells it.
    var fieldsV1Key: String {
        switch self {
        case .field(let name): "f:" + name
        case .key(let json): "k:" + json
        case .value(let json): "v:" + json
        case .index(let index): "i:\(index)"
        }
    }

    init?(fieldsV1Key text: String) {
        guard text.count >= 2 else { return nil }
        let body = String(text.dropFirst(2))
        switch text.prefix(2) {
        case "f:": self = .field(body)
        case "k:": self = .key(body)
        case "v:": self = .value(body)
        case "i:": guard let index = Int(body) else { return nil }; self = .index(index)
        default: return nil
        }
    }

    /// How conflict messages print it (`.spec.rules`, `[name="http"]`, `[=value]`, `[0]`).
    var description: String {
        switch self {
        case .field(let name): "." + name
        case .key(let json): "[" + Self.keyText(json) + "]"
        case .value(let json): "[=" + json + "]"
        case .index(let index): "[\(index)]"
        }
    }

    private static func keyText(_ json: String) -> String {
        guard let value = try? JSONParser.parse(json), case .object(let members) = value else { return json }
        return members.map { "\($0.key)=\($0.value.jsonText())" }.joined(separator: ",")
    }

    private var rank: Int {
        switch self {
        case .field: 0
        case .key: 1
        case .value: 2
        case .index: 3
        }
    }

    static func < (lhs: PathElement, rhs: PathElement) -> Bool {
        switch (lhs, rhs) {
        case (.field(let a), .field(let b)), (.key(let a), .key(let b)), (.value(let a), .value(let b)): a < b
        case (.index(let a), .index(let b)): a < b
        default: lhs.rank < rhs.rank
        }
    }
}

/// A set of field paths, as a tree: the fields one manager owns, or the fields an apply touches.
/// `isMember` marks the node's own path as in the set (fieldsV1's `"."`, or a leaf).
struct FieldSet: Hashable {
    var isMember = false
    var children: [PathElement: FieldSet] = [:]

    static let empty = FieldSet()

    var isEmpty: Bool { !isMember && children.isEmpty }

    mutating func insert(_ path: ArraySlice<PathElement>) {
        guard let first = path.first else {
            isMember = true
            return
        }
        children[first, default: FieldSet()].insert(path.dropFirst())
    }

    mutating func insert(_ path: [PathElement]) { insert(path[...]) }

    func contains(_ path: ArraySlice<PathElement>) -> Bool {
        guard let first = path.first else { return isMember }
        return children[first]?.contains(path.dropFirst()) ?? false
    }

    func union(_ other: FieldSet) -> FieldSet {
        var result = self
        result.isMember = isMember || other.isMember
        for (element, child) in other.children {
            result.children[element] = (children[element] ?? FieldSet()).union(child)
        }
        return result
    }

    func subtracting(_ other: FieldSet) -> FieldSet {
        var result = FieldSet(isMember: isMember && !other.isMember)
        for (element, child) in children {
            let remaining = other.children[element].map { child.subtracting($0) } ?? child
            if !remaining.isEmpty { result.children[element] = remaining }
        }
        return result
    }

    func intersection(_ other: FieldSet) -> FieldSet {
        var result = FieldSet(isMember: isMember && other.isMember)
        for (element, child) in children {
            guard let theirs = other.children[element] else { continue }
            let common = child.intersection(theirs)
            if !common.isEmpty { result.children[element] = common }
        }
        return result
    }

    /// Every path in the set, sorted.
    var paths: [[PathElement]] {
        var found: [[PathElement]] = []
        collect(prefix: [], into: &found)
        return found
    }

    private func collect(prefix: [PathElement], into found: inout [[PathElement]]) {
        if isMember { found.append(prefix) }
        for element in children.keys.sorted() {
            children[element]!.collect(prefix: prefix + [element], into: &found)
        }
    }

    /// The fieldsV1 object: `{"f:spec": {"f:rules": {}}}`, `"."` where a node with children is
    /// itself in the set; keys sorted, as the API server returns them.
    var fieldsV1: JSONValue {
        var members = JSONObject()
        if isMember && !children.isEmpty { members["."] = .object([:]) }
        for element in children.keys.sorted(by: { $0.fieldsV1Key < $1.fieldsV1Key }) {
            members[element.fieldsV1Key] = children[element]!.fieldsV1
        }
        return .object(members)
    }

    /// Reads fieldsV1; nil for a malformed one.
    init?(fieldsV1 value: JSONValue) {
        guard case .object(let members) = value else { return nil }
        if members.isEmpty { isMember = true }
        for (key, child) in members {
            if key == "." {
                isMember = true
                continue
            }
            guard let element = PathElement(fieldsV1Key: key), let set = FieldSet(fieldsV1: child) else { return nil }
            children[element] = set
        }
    }

    init(isMember: Bool = false, children: [PathElement: FieldSet] = [:]) {
        self.isMember = isMember
        self.children = children
    }

    /// The top-level subtree under `field`.
    func child(_ element: PathElement) -> FieldSet? { children[element] }
}

extension Array where Element == PathElement {
    var pathText: String { map(\.description).joined() }
}
