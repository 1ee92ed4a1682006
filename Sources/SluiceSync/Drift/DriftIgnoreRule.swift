import SluiceModel

/// What the agent does when another manager changes a field Sluice owns.
public enum DriftMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Re-apply at once, and report.
    case correct
    /// Report only, for as long as the drift lasts.
    case alert
}

/// Fields (JSON pointers) that drift detection ignores on matching objects: fields other
/// controllers own (an HPA's replicas, a mesh's injected annotations).
public struct DriftIgnoreRule: Sendable, Hashable, Codable {
    public var group: String?
    public var kind: String?
    public var namespace: String?
    public var name: String?
    public var paths: [String]

    public init(group: String? = nil, kind: String? = nil, namespace: String? = nil, name: String? = nil, paths: [String]) {
        self.group = group
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.paths = paths
    }

    /// Whether this rule applies to `object`; an omitted selector field matches anything.
    public func matches(_ object: ObjectReference) -> Bool {
        (group == nil || group == object.group) && (kind == nil || kind == object.kind)
            && (namespace == nil || namespace == object.namespace) && (name == nil || name == object.name)
    }

    /// Whether `field` is one of this rule's paths or lies below one.
    public func covers(_ field: FieldPath) -> Bool {
        let components = field.components.map { component -> String in
            switch component {
            case .key(let key): key
            case .index(let index): String(index)
            }
        }
        return paths.contains { pointer in
            guard let prefix = Self.components(ofPointer: pointer) else { return false }
            return components.starts(with: prefix)
        }
    }

    /// The reference tokens of an RFC 6901 JSON pointer, unescaped; nil when `pointer` is not one.
    public static func components(ofPointer pointer: String) -> [String]? {
        guard pointer.hasPrefix("/") else { return pointer.isEmpty ? [] : nil }
        var tokens: [String] = []
        for raw in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = ""
            var characters = raw.makeIterator()
            while let character = characters.next() {
                guard character == "~" else {
                    token.append(character)
                    continue
                }
                switch characters.next() {
                case "0": token.append("~")
                case "1": token.append("/")
                default: return nil
                }
            }
            tokens.append(token)
        }
        return tokens
    }
}
