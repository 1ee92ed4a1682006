import SluiceModel

/// One field that differs between two versions of an object, as a drift report names it:
/// `spec.rules[0].backendRefs[1].weight: 10 → 90`.
public struct FieldChange: Sendable, Hashable, CustomStringConvertible {
    public var path: FieldPath
    /// The value before, or nil when the field was added.
    public var old: JSONValue?
    /// The value after, or nil when the field was removed.
    public var new: JSONValue?

    public init(path: FieldPath, old: JSONValue?, new: JSONValue?) {
        self.path = path
        self.old = old
        self.new = new
    }

    public var description: String {
        "\(path): \(Self.text(old)) → \(Self.text(new))"
    }

    /// A value as a drift message shows it: compact JSON, long values cut, absence as `<none>`.
    static func text(_ value: JSONValue?) -> String {
        guard let value else { return "<none>" }
        if value == .string(FieldError.redactedText) { return FieldError.redactedText }
        let text = value.jsonText()
        return text.count > 120 ? String(text.prefix(117)) + "..." : text
    }

    /// The leaf fields that differ between `old` and `new`, in the order of `new` (then fields
    /// only `old` has). Lists of equal length are compared item by item; lists whose length
    /// changed are one change of the whole list, since their indexes no longer line up.
    public static func changes(from old: JSONValue?, to new: JSONValue?, at path: FieldPath = .root) -> [FieldChange] {
        switch (old, new) {
        case (nil, nil):
            return []
        case (.object(let before)?, .object(let after)?):
            var changes: [FieldChange] = []
            for (key, value) in after {
                changes += Self.changes(from: before[key], to: value, at: path.appending(key))
            }
            for (key, value) in before where after[key] == nil {
                changes += Self.changes(from: value, to: nil, at: path.appending(key))
            }
            return changes
        case (.array(let before)?, .array(let after)?) where before.count == after.count:
            return zip(before, after).enumerated().flatMap { index, pair in
                Self.changes(from: pair.0, to: pair.1, at: path.appending(index))
            }
        default:
            return old == new ? [] : [FieldChange(path: path, old: old, new: new)]
        }
    }
}
