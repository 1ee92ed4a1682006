import Yams

/// Writes `JSONValue`s and `Object`s as YAML in the layout kubectl and kustomize print: two-space
/// indentation, sequences flush with their key, keys in their order, and strings quoted whenever a
/// plain scalar would be read back as something else (`"true"`, `"1.0"`, `"yes"`, `""`).
public struct YAMLEncoder: Sendable {
    public init() {}

    /// One document, ending in a newline.
    public func encode(_ value: JSONValue) throws(YAMLError) -> String {
        do {
            return try Yams.serialize(node: node(value), indent: 2, width: -1, allowUnicode: true)
        } catch {
            throw YAMLError("cannot write YAML: \(error)", at: SourceLocation(file: "<output>", line: 1))
        }
    }

    /// A stream of objects separated by `---`, as `kubectl kustomize` prints it.
    public func encode(_ objects: [Object]) throws(YAMLError) -> String {
        var documents: [String] = []
        for object in objects { documents.append(try encode(object.value)) }
        return documents.joined(separator: "---\n")
    }

    func node(_ value: JSONValue) -> Node {
        switch value {
        case .null:
            return Node("null", Tag(.null))
        case .bool(let flag):
            return Node(flag ? "true" : "false", Tag(.bool))
        case .integer(let number):
            return Node(String(number), Tag(.int))
        case .number(let number):
            return Node(Self.format(number), Tag(.float))
        case .string(let text):
            return Node(text, Tag(.str), Self.style(for: text))
        case .array(let items):
            return Node(items.map(node), Tag(.seq), .block)
        case .object(let members):
            return Node(members.map { (Node($0.key, Tag(.str), Self.style(for: $0.key)), node($0.value)) }, Tag(.map), .block)
        }
    }

    /// Plain when a plain scalar would read back as the same string under YAML 1.2 *and* 1.1
    /// (older readers take `yes`/`on` as booleans); double-quoted otherwise; literal for text
    /// with line breaks.
    static func style(for text: String) -> Node.Scalar.Style {
        if text.contains("\n") { return .literal }
        if case .string = YAMLScalarResolution.resolvePlain(text), !isYAML11Special(text) { return .any }
        return .doubleQuoted
    }

    private static func isYAML11Special(_ text: String) -> Bool {
        switch text {
        case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
            "on", "On", "ON", "off", "Off", "OFF", "=":
            return true
        default:
            // 1.1 also reads sexagesimal (1:30) and underscored (1_000) numbers.
            let digitsAndMarks = text.allSatisfy { $0.isNumber || $0 == ":" || $0 == "_" || $0 == "." || $0 == "-" || $0 == "+" }
            return digitsAndMarks && text.contains(where: \.isNumber) && (text.contains(":") || text.contains("_"))
        }
    }

    /// Numbers as Go's strconv.FormatFloat(f, 'g', -1, 64) writes them in YAML, the form
    /// kubectl prints: shortest round-trip digits, exponent from 1e21 up or below 1e-4.
    static func format(_ number: Double) -> String {
        if number.isNaN { return ".nan" }
        if number.isInfinite { return number > 0 ? ".inf" : "-.inf" }
        return GoFloat.format(number)
    }
}

