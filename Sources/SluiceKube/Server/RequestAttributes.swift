/// What a request asks for in RBAC's terms — verb, API group, resource, subresource, namespace,
/// name — derived from its method, path and query as the API server's request-info resolver
/// does (`GET` on a collection is `list`, with `watch=true` it is `watch`, and so on).
public struct RequestAttributes: Sendable, Hashable {
    public var verb: String
    public var apiGroup: String
    public var apiVersion: String
    /// Empty for a non-resource path (`/version`, `/apis`, `/openapi/v3`...).
    public var resource: String
    public var subresource: String
    public var namespace: String
    public var name: String
    /// The path, for non-resource requests.
    public var path: String

    public var isResourceRequest: Bool { !resource.isEmpty }

    /// `resource/subresource`, as an RBAC rule names it.
    public var qualifiedResource: String { subresource.isEmpty ? resource : "\(resource)/\(subresource)" }

    public init(method: String, path: String, query: [String: String]) {
        self.path = path
        apiGroup = ""
        apiVersion = ""
        resource = ""
        subresource = ""
        namespace = ""
        name = ""
        verb = method.lowercased()
        var parts = path.split(separator: "/").map(String.init)
        switch parts.first {
        case "api" where parts.count >= 3:
            apiVersion = parts[1]
            parts.removeFirst(2)
        case "apis" where parts.count >= 4:
            apiGroup = parts[1]
            apiVersion = parts[2]
            parts.removeFirst(3)
        default:
            return
        }
        // `namespaces/<ns>/<resource>...` scopes the rest; `namespaces/<name>[/status]` is the
        // namespace object itself, and its namespace is its name.
        if parts[0] == "namespaces", parts.count >= 3, !(apiGroup.isEmpty && parts.count == 3 && ["status", "finalize"].contains(parts[2])) {
            namespace = parts[1]
            parts.removeFirst(2)
        } else if parts[0] == "namespaces", parts.count >= 2 {
            namespace = parts[1]
        }
        resource = parts[0]
        if parts.count > 1 { name = parts[1] }
        if parts.count > 2 { subresource = parts[2] }
        let watching = query["watch"] == "true" || query["watch"] == "1"
        switch method {
        case "GET", "HEAD": verb = name.isEmpty ? (watching ? "watch" : "list") : "get"
        case "POST": verb = "create"
        case "PUT": verb = "update"
        case "PATCH": verb = "patch"
        case "DELETE": verb = name.isEmpty ? "deletecollection" : "delete"
        default: verb = method.lowercased()
        }
    }
}
