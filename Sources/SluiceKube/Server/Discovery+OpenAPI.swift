import SluiceModel

/// The OpenAPI v3 documents kubectl reads before a write: the root (`/openapi/v3`, one entry per
/// group version) and, per group version, the paths of its resources with the
/// `x-kubernetes-group-version-kind` extension and the `fieldValidation` parameter on PATCH.
/// That is what kubectl checks to leave validation to the server (`fieldValidation=Strict`)
/// instead of validating on the client against downloaded schemas.
extension Discovery {
    static func openAPIRoot(_ kinds: [EmbeddedCluster.Served]) -> JSONValue {
        var paths = JSONValue.object([:])
        for groupVersion in Set(kinds.map { $0.entry.group.isEmpty ? "api/\($0.entry.version)" : "apis/\($0.entry.group)/\($0.entry.version)" }).sorted() {
            paths = paths.setting(groupVersion, ["serverRelativeURL": .string("/openapi/v3/\(groupVersion)")])
        }
        return ["paths": paths]
    }

    static func openAPIDocument(group: String, version: String, kinds: [EmbeddedCluster.Served]) -> JSONValue? {
        let served = kinds.filter { $0.entry.group == group && $0.entry.version == version }
        guard !served.isEmpty else { return nil }
        let queryParameters: [JSONValue] = ["dryRun", "fieldManager", "fieldValidation", "force"].map { name in
            ["name": .string(name), "in": "query", "schema": ["type": name == "force" ? "boolean" : "string"]]
        }
        var paths = JSONValue.object([:])
        for kind in served.sorted(by: { $0.entry.plural < $1.entry.plural }) {
            let entry = kind.entry
            let gvk: JSONValue = ["group": .string(entry.group), "version": .string(entry.version), "kind": .string(entry.kind)]
            let root = entry.group.isEmpty ? "/api/\(entry.version)" : "/apis/\(entry.group)/\(entry.version)"
            let collection = entry.namespaced ? "\(root)/namespaces/{namespace}/\(entry.plural)" : "\(root)/\(entry.plural)"
            let operation: JSONValue = [
                "x-kubernetes-group-version-kind": gvk, "parameters": .array(queryParameters),
                "responses": ["200": ["description": "OK"]],
            ]
            paths = paths.setting(collection, ["post": operation, "get": operation])
            paths = paths.setting(collection + "/{name}", ["get": operation, "put": operation, "patch": operation, "delete": operation])
            if entry.statusSubresource {
                paths = paths.setting(collection + "/{name}/status", ["get": operation, "put": operation, "patch": operation])
            }
        }
        return [
            "openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.36.2-sluice"], "paths": paths,
            "components": ["schemas": [:]],
        ]
    }
}
