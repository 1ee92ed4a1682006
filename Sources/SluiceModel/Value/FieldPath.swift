/// A path to a field inside an object, printed as the API server prints it in validation
/// messages: `spec.rules[0].backendRefs[1].weight`.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible, Comparable {
    public enum Component: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) {
        self.components = components
    }

    /// Parses `spec.rules[0].name` (keys separated by dots, indexes in brackets).
    public init(parsing text: String) {
        var components: [Component] = []
        var current = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "." {
                if !current.isEmpty { components.append(.key(current)) }
                current = ""
            } else if character == "[", let close = text[index...].firstIndex(of: "]"),
                let number = Int(text[text.index(after: index)..<close])
            {
                if !current.isEmpty { components.append(.key(current)) }
                current = ""
                components.append(.index(number))
                index = close
            } else {
                current.append(character)
            }
            index = text.index(after: index)
        }
        if !current.isEmpty { components.append(.key(current)) }
        self.components = components
    }

    public static let root = FieldPath()

    public func appending(_ key: String) -> FieldPath { FieldPath(components + [.key(key)]) }
    public func appending(_ index: Int) -> FieldPath { FieldPath(components + [.index(index)]) }

    public var isRoot: Bool { components.isEmpty }

    /// The name of the field this path ends at, or nil when it ends at a list index or is the root.
    public var lastKey: String? {
        if case .key(let key)? = components.last { return key }
        return nil
    }

    public var description: String {
        var text = ""
        for component in components {
            switch component {
            case .key(let key):
                if !text.isEmpty { text += "." }
                text += key
            case .index(let index):
                text += "[\(index)]"
            }
        }
        return text
    }

    public static func < (lhs: FieldPath, rhs: FieldPath) -> Bool {
        lhs.description < rhs.description
    }
}
