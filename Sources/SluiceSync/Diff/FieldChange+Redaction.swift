import SluiceModel

extension FieldChange {
    /// This change as it may be shown about `object`: a Secret's `data` and `stringData` values
    /// never reach a drift message, an Event, a log line or the drift record, so both sides
    /// become `<redacted>` (the field that changed is still named).
    public func redacted(for object: Object) -> FieldChange {
        guard object.kind == "Secret", object.group.isEmpty, case .key(let top)? = path.components.first,
            top == "data" || top == "stringData"
        else { return self }
        let hidden = JSONValue.string(FieldError.redactedText)
        return FieldChange(path: path, old: old.map { _ in hidden }, new: new.map { _ in hidden })
    }
}
