import Foundation
import SluiceModel

/// Maps REST requests onto `EmbeddedCluster`: discovery, CRUD, apply, patch, watch.
struct APIRouter: Sendable {
    let cluster: EmbeddedCluster

    func respond(to request: APIRequest) async -> APIResponse {
        do {
            return try await route(request)
        } catch {
            return .error(error)
        }
    }

    private func route(_ request: APIRequest) async throws(APIError) -> APIResponse {
        let parts = request.path.split(separator: "/").map(String.init)
        switch parts.first ?? "" {
        case "version" where parts.count == 1:
            return .json(200, Discovery.version)
        case "api":
            if parts.count == 1 { return .json(200, Discovery.coreVersions) }
            guard parts[1] == "v1" else { return .pageNotFound }
            if parts.count == 2 { return .json(200, Discovery.resourceList(group: "", version: "v1", kinds: await cluster.servedKinds())) }
            return try await resource(request, group: "", version: "v1", rest: Array(parts.dropFirst(2)))
        case "apis":
            let kinds = await cluster.servedKinds()
            if parts.count == 1 { return .json(200, Discovery.groupList(kinds)) }
            let group = parts[1]
            guard let groupInfo = Discovery.group(group, kinds) else { return .pageNotFound }
            if parts.count == 2 { return .json(200, groupInfo) }
            let version = parts[2]
            guard kinds.contains(where: { $0.entry.group == group && $0.entry.version == version }) else { return .pageNotFound }
            if parts.count == 3 { return .json(200, Discovery.resourceList(group: group, version: version, kinds: kinds)) }
            return try await resource(request, group: group, version: version, rest: Array(parts.dropFirst(3)))
        case "openapi" where parts.count >= 2 && parts[1] == "v3":
            let kinds = await cluster.servedKinds()
            if parts.count == 2 { return .json(200, Discovery.openAPIRoot(kinds)) }
            let rest = Array(parts.dropFirst(2))
            let (group, version): (String, String) = rest.first == "api" && rest.count == 2 ? ("", rest[1])
                : rest.first == "apis" && rest.count == 3 ? (rest[1], rest[2]) : ("", "")
            guard !version.isEmpty, let document = Discovery.openAPIDocument(group: group, version: version, kinds: kinds) else {
                return .pageNotFound
            }
            return .json(200, document)
        case "healthz", "readyz", "livez":
            return .full(status: 200, contentType: "text/plain; charset=utf-8", body: Array("ok".utf8), warnings: [])
        default:
            return .pageNotFound
        }
    }

    /// `[namespaces, ns,] plural [, name [, subresource]]` under a group version.
    private func resource(_ request: APIRequest, group: String, version: String, rest: [String]) async throws(APIError) -> APIResponse {
        var namespace: String?
        var rest = rest
        if rest.count >= 3, rest[0] == "namespaces", !(group.isEmpty && ["status", "finalize"].contains(rest[2]) && rest.count == 3) {
            namespace = rest[1]
            rest.removeFirst(2)
        }
        guard let plural = rest.first, let served = await cluster.servedKind(group: group, version: version, plural: plural) else {
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        if !served.entry.namespaced { namespace = nil }
        let name = rest.count > 1 ? rest[1] : nil
        let subresource = rest.count > 2 ? rest[2] : nil
        if let subresource, subresource != "status" || !served.entry.statusSubresource {
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        switch (request.method, name) {
        case ("GET", nil):
            if request.query["watch"] == "1" || request.query["watch"] == "true" {
                return try await WatchResponder(cluster: cluster).watch(served, namespace: namespace, request: request)
            }
            let options = ListOptions(
                labelSelector: request.query["labelSelector"], fieldSelector: request.query["fieldSelector"],
                limit: request.query["limit"].flatMap { Int($0) }, continueToken: request.query["continue"])
            return .json(200, try await cluster.list(served, namespace: namespace, options: options))
        case ("GET", let name?):
            return .json(200, try await cluster.get(served, namespace: namespace, name: name))
        case ("POST", nil):
            let body = try Self.parseJSONBody(request)
            let value = try await cluster.create(served, namespace: namespace, body: body, manager: request.manager, dryRun: request.isDryRun)
            try await cluster.durable()
            return .json(201, value)
        case ("PATCH", let name?):
            return try await patch(request, served, namespace: namespace, name: name, subresource: subresource)
        case ("PUT", let name?):
            let body = try Self.parseJSONBody(request)
            let value = try await cluster.replace(
                served, namespace: namespace, name: name, body: body, manager: request.manager, subresource: subresource,
                dryRun: request.isDryRun)
            try await cluster.durable()
            return .json(200, value)
        case ("DELETE", let name?):
            let options = try Self.deleteOptions(request)
            let result = try await cluster.delete(served, namespace: namespace, name: name, options: options)
            try await cluster.durable()
            if result.pending { return .json(200, result.value) }
            return .json(200, EmbeddedCluster.deletedStatus(served, name: name, uid: result.value["metadata"]?["uid"]?.stringValue ?? ""))
        default:
            throw APIError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
        }
    }

    private func patch(_ request: APIRequest, _ served: EmbeddedCluster.Served, namespace: String?, name: String, subresource: String?) async throws(APIError) -> APIResponse {
        let contentType = (request.contentType ?? "").split(separator: ";").first.map { String($0).trimming(" ") } ?? ""
        switch contentType {
        case "application/apply-patch+yaml", "application/apply-patch+cbor":
            guard let manager = request.query["fieldManager"], !manager.isEmpty else {
                throw Self.patchOptionsError(.required, field: "fieldManager", detail: "is required for apply patch")
            }
            let (body, warnings) = try Self.parseYAMLBody(request)
            let options = ApplyOptions(fieldManager: manager, force: request.query["force"] == "true", dryRun: request.isDryRun)
            let result = try await cluster.apply(served, namespace: namespace, name: name, body: body, options: options, subresource: subresource)
            try await cluster.durable()
            return .json(result.created ? 201 : 200, result.value, warnings: warnings)
        case "application/strategic-merge-patch+json" where served.isCustom:
            // Custom resources have no Go struct tags to merge lists by: kube-apiserver refuses
            // strategic merge for them (kubectl patch then needs --type=merge or json).
            throw Self.unsupportedPatchType
        case "application/merge-patch+json", "application/strategic-merge-patch+json", "application/json-patch+json":
            if request.query["force"] != nil {
                throw Self.patchOptionsError(.forbidden, field: "force", detail: "may not be specified for non-apply patch")
            }
            let body = try Self.parseJSONBody(request)
            let patch: EmbeddedCluster.UpdatePatch =
                contentType == "application/json-patch+json" ? .json(try Self.jsonPatch(body)) : .merge(body)
            let result = try await cluster.patch(
                served, namespace: namespace, name: name, patch: patch, manager: request.manager, subresource: subresource,
                fieldValidation: request.query["fieldValidation"], dryRun: request.isDryRun)
            try await cluster.durable()
            return .json(200, result.value, warnings: result.warnings)
        default:
            throw Self.unsupportedPatchType
        }
    }

    /// The body formats of a create or an update this server reads. kube-apiserver reads
    /// protobuf and YAML too; a protobuf body (kubectl's for core kinds) gets a 415 naming what
    /// is read here, instead of a JSON syntax error.
    static let bodyMediaTypes: Set<String> = ["application/json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/json-patch+json"]

    static let unsupportedBodyType = APIError(
        code: 415, reason: "UnsupportedMediaType",
        message: "the body of the request was in an unknown format - accepted media types include: application/json")

    static let unsupportedPatchType = APIError(
        code: 415, reason: "UnsupportedMediaType",
        message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")

    static func patchOptionsError(_ kind: FieldError.Kind, field: String, detail: String) -> APIError {
        let error = FieldError(kind, field: FieldPath(parsing: field), detail: detail)
        return APIError(
            code: 422, reason: "Invalid", message: "PatchOptions.meta.k8s.io \"\" is invalid: \(error.description)",
            details: APIError.Details(group: "meta.k8s.io", kind: "PatchOptions", causes: [
                APIError.Cause(reason: kind.reason, message: error.body, field: field),
            ]))
    }

    /// kube-apiserver's limit on the operations of one JSON patch.
    static let maxJSONPatchOperations = 10_000

    static func jsonPatch(_ body: JSONValue) throws(APIError) -> JSONPatch {
        let patch: JSONPatch
        do {
            patch = try JSONPatch(body)
        } catch {
            throw APIError.badRequest(error.message)
        }
        guard patch.count <= maxJSONPatchOperations else {
            throw APIError(
                code: 413, reason: "RequestEntityTooLarge",
                message: "Request entity too large: The allowed maximum operations in a JSON patch is \(maxJSONPatchOperations), got \(patch.count)")
        }
        return patch
    }

    static func parseJSONBody(_ request: APIRequest) throws(APIError) -> JSONValue {
        if let contentType = request.contentType?.split(separator: ";").first.map({ String($0).trimming(" ") }), !contentType.isEmpty,
            !Self.bodyMediaTypes.contains(String(contentType))
        {
            throw unsupportedBodyType
        }
        do {
            return try JSONParser.parse(request.body)
        } catch {
            throw APIError.badRequest("error decoding JSON: \(error)")
        }
    }

    /// An apply body (YAML or JSON). Duplicate keys are refused under `fieldValidation=Strict`
    /// and reported as a warning otherwise, the last value winning, as the server does.
    static func parseYAMLBody(_ request: APIRequest) throws(APIError) -> (JSONValue, [String]) {
        // JSON is YAML, and clients (KubeCluster, kubectl) send JSON: read it directly when it is.
        if request.body.first == UInt8(ascii: "{"), let value = try? JSONParser.parse(request.body) {
            return (value, [])
        }
        let text = String(decoding: request.body, as: UTF8.self)
        do {
            guard let document = try YAMLDecoder().documents(text, file: "body").first else {
                throw APIError.badRequest("invalid object type: /, Kind=")
            }
            guard case .object = document.value else { throw APIError.badRequest("invalid object type: /, Kind=") }
            return (document.value, [])
        } catch let error as APIError {
            throw error
        } catch let error as YAMLError {
            if let duplicate = DuplicateKeys.duplicate(in: error) {
                let problem = "line \(DuplicateKeys.valueLine(afterKeyAt: duplicate.line, in: text)): key \(FieldError.goQuote(duplicate.key)) already set in map"
                if request.query["fieldValidation"] == "Strict" {
                    throw APIError.badRequest("error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  \(problem)")
                }
                if let value = DuplicateKeys.lastWins(text), case .object = value { return (value, [problem]) }
            }
            throw APIError.badRequest("error decoding YAML: error converting YAML to JSON: yaml: \(Self.goYAMLProblem(error))")
        } catch {
            throw APIError.badRequest("error decoding YAML: \(error)")
        }
    }

    /// A YAML syntax error as go-yaml words it (both wrap libyaml, so the problem text is the
    /// same): `line N: problem`, where go-yaml counts a parser error's line from 0 and a scanner
    /// error's from 1, and leaves out libyaml's context.
    static func goYAMLProblem(_ error: YAMLError) -> String {
        var problem = error.message
        var line = error.location.line
        if let context = problem.range(of: " (while ") {
            if problem[context.upperBound...].hasPrefix("parsing") { line -= 1 }
            problem = String(problem[..<context.lowerBound])
        }
        return "line \(line): \(problem)"
    }

    static func deleteOptions(_ request: APIRequest) throws(APIError) -> DeleteOptions {
        var options = DeleteOptions()
        if let policy = request.query["propagationPolicy"] { options.propagationPolicy = DeleteOptions.Propagation(rawValue: policy) }
        options.dryRun = request.isDryRun
        guard !request.body.isEmpty else { return options }
        let body = try parseJSONBody(request)
        if let policy = body["propagationPolicy"]?.stringValue { options.propagationPolicy = DeleteOptions.Propagation(rawValue: policy) }
        if body["orphanDependents"]?.boolValue == true { options.propagationPolicy = .orphan }
        options.preconditionUID = body["preconditions"]?["uid"]?.stringValue
        options.preconditionResourceVersion = body["preconditions"]?["resourceVersion"]?.stringValue
        if body["dryRun"]?.arrayValue?.contains("All") == true { options.dryRun = true }
        return options
    }
}
