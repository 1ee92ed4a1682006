/// One validation failure, in the shape of the API server's `field.Error`: its message text is
/// the server's, character for character, so `sluice validate` and `EmbeddedCluster` say what a
/// real kube-apiserver says.
public struct FieldError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case required, invalid, notSupported, tooMany, tooLong, typeInvalid, duplicate, forbidden, notFound
        /// A field the schema does not declare (server-side apply refuses the whole request).
        case unknownField

        /// The text Kubernetes prints for the error type.
        var text: String {
            switch self {
            case .required: "Required value"
            case .invalid, .typeInvalid: "Invalid value"
            case .notSupported: "Unsupported value"
            case .tooMany: "Too many"
            case .tooLong: "Too long"
            case .duplicate: "Duplicate value"
            case .forbidden: "Forbidden"
            case .notFound: "Not found"
            case .unknownField: "field not declared in schema"
            }
        }

        /// The `reason` of a Status cause.
        public var reason: String {
            switch self {
            case .required: "FieldValueRequired"
            case .invalid: "FieldValueInvalid"
            case .notSupported: "FieldValueNotSupported"
            case .tooMany: "FieldValueTooMany"
            case .tooLong: "FieldValueTooLong"
            case .typeInvalid: "FieldValueTypeInvalid"
            case .duplicate: "FieldValueDuplicate"
            case .forbidden: "FieldValueForbidden"
            case .notFound: "FieldValueNotFound"
            case .unknownField: "FieldValueUnknown"
            }
        }

        /// Errors after which the server does not run CEL rules (apiextensions `hasBlockingErr`).
        var blocksRules: Bool {
            switch self {
            case .notSupported, .required, .tooLong, .tooMany, .typeInvalid: true
            case .invalid, .duplicate, .forbidden, .notFound, .unknownField: false
            }
        }
    }

    /// The offending value as the message shows it.
    public enum BadValue: Sendable, Equatable {
        /// Not shown (required fields, rule failures).
        case omitted
        case value(JSONValue)
    }

    public var kind: Kind
    /// The field; nil prints as `<nil>`, as the server prints an error about no field.
    public var field: FieldPath?
    public var badValue: BadValue
    public var detail: String

    public init(_ kind: Kind, field: FieldPath?, badValue: BadValue = .omitted, detail: String = "") {
        self.kind = kind
        self.field = field
        self.badValue = badValue
        self.detail = detail
    }

    /// The field as the server names it in causes: `spec.rules[0]`, or `<nil>`.
    public var fieldText: String { field.map(\.description) ?? "<nil>" }

    /// The message without the field, as a Status cause carries it.
    public var body: String {
        var text = kind.text
        switch (kind, badValue) {
        case (.required, _), (.forbidden, _), (.tooLong, _), (.unknownField, _), (_, .omitted):
            break
        case (_, .value(let value)):
            text += ": " + Self.goFormat(value)
        }
        if !detail.isEmpty { text += ": " + detail }
        return text
    }

    /// `field: body`, the text of the server's `field.Error`.
    public var description: String { "\(fieldText): \(body)" }

    /// How Go's `%v` (numbers, booleans), `%q` (strings) and JSON (the rest) print a value.
    static func goFormat(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .integer(let number): String(number)
        case .number(let number): GoFloat.format(number)
        case .string(let text): goQuote(text)
        case .array, .object: value.jsonText()
        }
    }

    /// Go's `%q`: a double-quoted string with Go escapes.
    public static func goQuote(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    output += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        return output + "\""
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// All the errors of one object, phrased as the API server's 422 Status phrases them.
public struct ValidationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// `HTTPRoute.gateway.networking.k8s.io` (kind.group; just the kind for the core group).
    public var qualifiedKind: String
    public var name: String
    public var errors: [FieldError]

    public init(qualifiedKind: String, name: String, errors: [FieldError]) {
        self.qualifiedKind = qualifiedKind
        self.name = name
        self.errors = errors
    }

    /// The Status message: `Kind.group "name" is invalid: error`, or `[error, error]` for several.
    public var message: String {
        let list = errors.count == 1 ? errors[0].description
            : "[" + errors.map(\.description).joined(separator: ", ") + "]"
        return "\(qualifiedKind) \(FieldError.goQuote(name)) is invalid: \(list)"
    }

    public var description: String { message }
}
