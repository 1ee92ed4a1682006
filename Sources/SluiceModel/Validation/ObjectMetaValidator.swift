/// The API server's checks of `metadata.name` and `metadata.namespace` for custom resources
/// (`ValidateObjectMetaAccessor` with `NameIsDNSSubdomain`), with its messages.
enum ObjectMetaValidator {
    static let subdomainPattern = #"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"#
    static let labelPattern = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"

    static func errors(in object: Object) -> [FieldError] {
        var errors: [FieldError] = []
        let metadata = FieldPath.root.appending("metadata")
        let name = object.metadata["name"]?.stringValue ?? ""
        let generateName = object.metadata["generateName"]?.stringValue ?? ""
        if name.isEmpty && generateName.isEmpty {
            errors.append(FieldError(.required, field: metadata.appending("name"), detail: "name or generateName is required"))
        } else if !name.isEmpty {
            for message in subdomainProblems(name) {
                errors.append(FieldError(.invalid, field: metadata.appending("name"), badValue: .value(.string(name)), detail: message))
            }
        }
        if let namespace = object.namespace, !namespace.isEmpty {
            for message in labelProblems(namespace) {
                errors.append(FieldError(.invalid, field: metadata.appending("namespace"), badValue: .value(.string(namespace)), detail: message))
            }
        }
        return errors
    }

    /// `IsDNS1123Subdomain`.
    static func subdomainProblems(_ value: String) -> [String] {
        var problems: [String] = []
        if value.utf8.count > 253 { problems.append("must be no more than 253 characters") }
        if !SchemaValidator.matches(value, pattern: "^" + subdomainPattern + "$") {
            problems.append(regexError(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
                subdomainPattern, examples: ["example.com"]))
        }
        return problems
    }

    /// `IsDNS1123Label`, as `ValidateNamespaceName` applies it.
    static func labelProblems(_ value: String) -> [String] {
        var problems: [String] = []
        if value.utf8.count > 63 { problems.append("must be no more than 63 characters") }
        if !SchemaValidator.matches(value, pattern: "^" + labelPattern + "$") {
            problems.append(regexError(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
                labelPattern, examples: ["my-name", "123-abc"]))
        }
        return problems
    }

    /// apimachinery's `RegexError`, double space before "or" included.
    static func regexError(_ message: String, _ pattern: String, examples: [String]) -> String {
        var text = message + " (e.g. "
        for (index, example) in examples.enumerated() {
            if index > 0 { text += " or " }
            text += "'\(example)', "
        }
        return text + "regex used for validation is '\(pattern)')"
    }
}
