import SluiceModel

/// A failure the API server reported, decoded from its `Status` body: the HTTP status code, the
/// reason (`Conflict`, `Invalid`, `NotFound`, ...), the message and the causes.
public struct APIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One entry of `details.causes`.
    public struct Cause: Sendable, Hashable {
        public var reason: String
        public var message: String
        public var field: String?

        public init(reason: String, message: String, field: String? = nil) {
            self.reason = reason
            self.message = message
            self.field = field
        }
    }

    /// `details`: the object the failure is about.
    public struct Details: Sendable, Hashable {
        public var name: String?
        public var group: String?
        public var kind: String?
        public var uid: String?
        public var causes: [Cause]

        public init(name: String? = nil, group: String? = nil, kind: String? = nil, uid: String? = nil, causes: [Cause] = []) {
            self.name = name
            self.group = group
            self.kind = kind
            self.uid = uid
            self.causes = causes
        }
    }

    public var code: Int
    public var reason: String?
    public var message: String
    public var details: Details?
    /// A body that was not a Status (`404 page not found`), kept as the server sent it.
    public var plainText: String?

    public init(code: Int, reason: String?, message: String, details: Details? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
    }

    /// An error whose body was plain text, as the server's mux answers for unknown paths.
    public static func plain(code: Int, text: String) -> APIError {
        var error = APIError(code: code, reason: nil, message: text.trimmingSuffixNewline)
        error.plainText = text
        return error
    }

    /// Decodes a `Status` body; nil when `body` is not one.
    public init?(status body: JSONValue, httpStatus: Int) {
        guard body["kind"]?.stringValue == "Status" else { return nil }
        code = body["code"]?.integerValue.map(Int.init) ?? httpStatus
        reason = body["reason"]?.stringValue
        message = body["message"]?.stringValue ?? ""
        if let details = body["details"], case .object = details {
            let causes = (details["causes"]?.arrayValue ?? []).map {
                Cause(reason: $0["reason"]?.stringValue ?? "", message: $0["message"]?.stringValue ?? "", field: $0["field"]?.stringValue)
            }
            self.details = Details(
                name: details["name"]?.stringValue, group: details["group"]?.stringValue, kind: details["kind"]?.stringValue,
                uid: details["uid"]?.stringValue, causes: causes)
        }
    }

    /// The Status body, with its members in the order the API server writes them.
    public var statusBody: JSONValue {
        var body: JSONValue = ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure", "message": .string(message)]
        if let reason { body = body.setting("reason", .string(reason)) }
        if let details {
            var object: JSONValue = [:]
            if let name = details.name { object = object.setting("name", .string(name)) }
            if let group = details.group { object = object.setting("group", .string(group)) }
            if let kind = details.kind { object = object.setting("kind", .string(kind)) }
            if let uid = details.uid { object = object.setting("uid", .string(uid)) }
            if !details.causes.isEmpty {
                object = object.setting("causes", .array(details.causes.map { cause in
                    var entry: JSONValue = ["reason": .string(cause.reason), "message": .string(cause.message)]
                    if let field = cause.field { entry = entry.setting("field", .string(field)) }
                    return entry
                }))
            }
            body = body.setting("details", object)
        }
        return body.setting("code", .integer(Int64(code)))
    }

    public var description: String {
        var text = "\(code) \(reason ?? "")".trimmingSuffixNewline + ": " + message
        if let causes = details?.causes, !causes.isEmpty {
            text += " (" + causes.map { "\($0.field ?? "<nil>"): \($0.message)" }.joined(separator: "; ") + ")"
        }
        return text
    }
}

extension APIError {
    static func notFound(_ kind: ResourceKind, name: String) -> APIError {
        APIError(
            code: 404, reason: "NotFound", message: "\(kind.qualifiedResource) \(FieldError.goQuote(name)) not found",
            details: Details(name: name, group: kind.group.isEmpty ? nil : kind.group, kind: kind.plural))
    }

    static func namespaceNotFound(_ namespace: String) -> APIError {
        APIError(
            code: 404, reason: "NotFound", message: "namespaces \(FieldError.goQuote(namespace)) not found",
            details: Details(name: namespace, kind: "namespaces"))
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    /// A 409 about `name`; delete preconditions name the kind (`HTTPRoute.gateway...`), stale
    /// resourceVersions the resource (`httproutes.gateway...`), as the API server does.
    static func conflict(_ kind: ResourceKind, name: String, byResource: Bool = false, _ detail: String) -> APIError {
        let qualified = byResource ? kind.qualifiedResource : kind.qualifiedKind
        return APIError(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on \(qualified) \(FieldError.goQuote(name)): \(detail)",
            details: Details(name: name, group: kind.group.isEmpty ? nil : kind.group, kind: byResource ? kind.plural : kind.kind))
    }

    static func alreadyExists(_ kind: ResourceKind, name: String) -> APIError {
        APIError(
            code: 409, reason: "AlreadyExists", message: "\(kind.qualifiedResource) \(FieldError.goQuote(name)) already exists",
            details: Details(name: name, group: kind.group.isEmpty ? nil : kind.group, kind: kind.plural))
    }

    static func invalid(_ kind: ResourceKind, name: String, errors: [FieldError]) -> APIError {
        let failure = ValidationFailure(qualifiedKind: kind.qualifiedKind, name: name, errors: errors)
        return APIError(
            code: 422, reason: "Invalid", message: failure.message,
            details: Details(
                name: name, group: kind.group.isEmpty ? nil : kind.group, kind: kind.kind,
                causes: errors.map { Cause(reason: $0.kind.reason, message: $0.body, field: $0.fieldText) }))
    }

    static func gone(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    static func internalError(_ message: String) -> APIError {
        APIError(code: 500, reason: nil, message: message)
    }
}

extension String {
    var trimmingSuffixNewline: String {
        var text = self
        while text.last == "\n" || text.last == " " { text.removeLast() }
        return text
    }
}
