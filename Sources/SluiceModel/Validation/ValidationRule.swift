/// One `x-kubernetes-validations` entry, compiled once when its schema is read. A class: rules
/// are read for every object validated, and copying one meant retaining each of its fields.
public final class ValidationRule: Sendable {
    public let rule: String
    public let expression: Result<CELExpression, CELError>
    public let message: String?
    public let messageExpression: CELExpression?
    /// The rule and its message expression, compiled once.
    let program: CELProgram?
    let messageProgram: CELProgram?
    /// Where the error is reported, relative to the schema node (`.spec.x` → `spec.x`).
    public let fieldPath: FieldPath
    public let reason: FieldError.Kind
    /// Transition rules compare with the old object and run only on updates.
    public let isTransition: Bool

    init(_ value: JSONValue) {
        let text = value["rule"]?.stringValue ?? ""
        rule = text
        expression = Result { () throws(CELError) in try CELExpression(parsing: text) }
        message = value["message"]?.stringValue
        messageExpression = value["messageExpression"]?.stringValue.flatMap { try? CELExpression(parsing: $0) }
        fieldPath = FieldPath(parsing: value["fieldPath"]?.stringValue ?? "")
        switch value["reason"]?.stringValue {
        case "FieldValueForbidden": reason = .forbidden
        case "FieldValueRequired": reason = .required
        case "FieldValueDuplicate": reason = .duplicate
        default: reason = .invalid
        }
        isTransition = (try? expression.get().usesOldSelf) ?? false
        program = (try? expression.get()).map(CELProgram.init)
        messageProgram = messageExpression.map(CELProgram.init)
    }
}
