import OrderedCollections

/// One Kubernetes object: an ordered JSON tree with the accessors every stage needs, and —
/// when it was read from a file — where each of its fields was written.
public struct Object: Sendable, Hashable {
    /// The whole object, keys in their written order.
    public var content: JSONObject
    /// Where the object and its fields were read from; nil for objects made in code or
    /// received from an API server.
    public var positions: SourcePositions? {
        get { positionsStorage?.positions }
        set { positionsStorage = newValue.map(PositionsStorage.init) }
    }

    /// Positions are read only for error messages, and an `Object` is copied between the
    /// renderer's arrays: held by reference, an object is 24 bytes instead of 112, and its
    /// positions exist once however many arrays hold it.
    private var positionsStorage: PositionsStorage?

    private final class PositionsStorage: Sendable {
        let positions: SourcePositions
        init(_ positions: SourcePositions) { self.positions = positions }
    }

    public init(_ content: JSONObject, positions: SourcePositions? = nil) {
        self.content = content
        self.positionsStorage = positions.map(PositionsStorage.init)
    }

    public static func == (lhs: Object, rhs: Object) -> Bool {
        lhs.content == rhs.content && lhs.positions == rhs.positions
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(content)
        hasher.combine(positions)
    }

    /// The object as a JSON value.
    public var value: JSONValue { .object(content) }

    // MARK: - Type and identity

    public var apiVersion: String { content["apiVersion"]?.stringValue ?? "" }
    public var kind: String { content["kind"]?.stringValue ?? "" }

    /// The API group: "" for the core group (`apiVersion: v1`).
    public var group: String {
        let parts = apiVersion.split(separator: "/", maxSplits: 1)
        return parts.count == 2 ? String(parts[0]) : ""
    }

    public var version: String {
        String(apiVersion.split(separator: "/", maxSplits: 1).last ?? "")
    }

    public var metadata: JSONObject {
        get { content["metadata"]?.objectValue ?? [:] }
        set { content["metadata"] = .object(newValue) }
    }

    public var name: String {
        get { metadata["name"]?.stringValue ?? "" }
        set { setMetadata("name", .string(newValue)) }
    }

    /// The namespace, or nil when the object names none.
    public var namespace: String? {
        get { metadata["namespace"]?.stringValue }
        set { setMetadata("namespace", newValue.map(JSONValue.string)) }
    }

    /// Sets (or, with nil, removes) a member of `metadata`, in place: through `metadata`'s
    /// getter and setter the mapping would be copied on every change.
    private mutating func setMetadata(_ key: String, _ value: JSONValue?) {
        if case .object = content["metadata"] {
            content["metadata"]![key] = value
        } else {
            metadata[key] = value
        }
    }

    public var labels: OrderedDictionary<String, String> {
        get { stringMap("labels") }
        set { setStringMap("labels", newValue) }
    }

    public var annotations: OrderedDictionary<String, String> {
        get { stringMap("annotations") }
        set { setStringMap("annotations", newValue) }
    }

    /// The value at `path`, or nil when any step is missing.
    public subscript(path: FieldPath) -> JSONValue? { value[path] }

    /// How the object is named in messages: `HTTPRoute demo/shop`, or `Namespace demo`.
    public var reference: ObjectReference {
        ObjectReference(apiVersion: apiVersion, kind: kind, namespace: namespace, name: name)
    }

    /// Where `path` was written, when the object came from a file.
    public func location(of path: FieldPath = .root) -> SourceLocation? {
        positions?.location(of: path)
    }

    private func stringMap(_ key: String) -> OrderedDictionary<String, String> {
        guard let members = metadata[key]?.objectValue else { return [:] }
        var result: OrderedDictionary<String, String> = [:]
        for (name, value) in members {
            if let text = value.stringValue { result[name] = text }
        }
        return result
    }

    private mutating func setStringMap(_ key: String, _ map: OrderedDictionary<String, String>) {
        metadata[key] = map.isEmpty ? nil : .object(JSONObject(map, transform: JSONValue.string))
    }
}

/// The identity of an object: what the API server calls it and how messages name it.
public struct ObjectReference: Sendable, Hashable, CustomStringConvertible, Comparable {
    public var apiVersion: String
    public var kind: String
    public var namespace: String?
    public var name: String

    public init(apiVersion: String, kind: String, namespace: String?, name: String) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    public var group: String {
        let parts = apiVersion.split(separator: "/", maxSplits: 1)
        return parts.count == 2 ? String(parts[0]) : ""
    }

    /// `HTTPRoute demo/shop`; `Namespace demo` for an object without a namespace.
    public var description: String {
        "\(kind) " + (namespace.map { "\($0)/\(name)" } ?? name)
    }

    public static func < (lhs: ObjectReference, rhs: ObjectReference) -> Bool {
        (lhs.group, lhs.kind, lhs.namespace ?? "", lhs.name) < (rhs.group, rhs.kind, rhs.namespace ?? "", rhs.name)
    }
}
