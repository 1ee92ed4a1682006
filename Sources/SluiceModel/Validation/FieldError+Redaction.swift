extension FieldError {
    /// The text that stands for a value no log or Event may show.
    public static let redactedText = "<redacted>"

    /// This error as it may be shown about `object`: a Secret's `data` and `stringData` values
    /// never reach a log line, an Event or a terminal, so the bad value (and its echo in the
    /// detail) is replaced by `<redacted>`.
    public func redacted(for object: Object) -> FieldError {
        guard object.kind == "Secret", object.group.isEmpty, let field,
            case .key(let top)? = field.components.first, top == "data" || top == "stringData"
        else { return self }
        var copy = self
        if case .value(let value) = badValue {
            copy.badValue = .value(.string(Self.redactedText))
            copy.detail = detail.replacingOccurrences(of: Self.goFormat(value), with: Self.goQuote(Self.redactedText))
        }
        return copy
    }
}
