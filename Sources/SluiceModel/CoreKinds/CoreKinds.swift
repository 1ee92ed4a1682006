import OrderedCollections

/// The core Kubernetes kinds Sluice reads and writes — Namespace, Service, EndpointSlice,
/// Secret, ConfigMap, Event and Lease — described in the shape of a CustomResourceDefinition so
/// that `SchemaCatalog`, `KindCatalog` and EmbeddedCluster treat them like any other kind.
///
/// The schemas cover the fields Sluice and its users touch, with the list types and map keys the
/// API server's structured-merge-diff uses for them (Service `spec.ports` keyed by port and
/// protocol, EndpointSlice `ports` atomic, ...). Fields outside them are kept
/// (`x-kubernetes-preserve-unknown-fields`), since the real types have many more.
public enum CoreKinds {
    /// Every core kind, CRD-shaped.
    public static var definitions: [Object] {
        [namespace, service, endpointSlice, secret, configMap, event, lease]
    }

    typealias S = OpenAPISchema

    /// Whether `entry` is one of these core kinds (a Go struct in the real server, not a map).
    public static func isCore(_ entry: KindCatalog.Entry) -> Bool {
        definitions.contains { $0[FieldPath(parsing: "spec.group")]?.stringValue == entry.group
            && $0[FieldPath(parsing: "spec.names.kind")]?.stringValue == entry.kind }
    }

    /// A kind described in the shape of a CustomResourceDefinition, for kinds a cluster serves
    /// natively (the core kinds here; CustomResourceDefinition itself in EmbeddedCluster).
    public static func crdShaped(
        group: String, version: String, kind: String, plural: String, shortNames: [String] = [],
        namespaced: Bool = true, statusSubresource: Bool = false, schema: JSONValue
    ) -> Object {
        definition(
            group: group, version: version, kind: kind, plural: plural, shortNames: shortNames, namespaced: namespaced,
            statusSubresource: statusSubresource, schema: schema)
    }

    /// The CRD-shaped description of one core kind.
    static func definition(
        group: String, version: String, kind: String, plural: String, shortNames: [String] = [],
        namespaced: Bool = true, statusSubresource: Bool = false, schema: JSONValue
    ) -> Object {
        var names: JSONObject = [
            "kind": .string(kind), "listKind": .string(kind + "List"), "plural": .string(plural),
            "singular": .string(kind.lowercased()),
        ]
        if !shortNames.isEmpty { names["shortNames"] = .array(shortNames.map(JSONValue.string)) }
        return Object([
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": ["name": .string(group.isEmpty ? plural : "\(plural).\(group)")],
            "spec": [
                "group": .string(group),
                "names": .object(names),
                "scope": namespaced ? "Namespaced" : "Cluster",
                "versions": [[
                    "name": .string(version),
                    "schema": ["openAPIV3Schema": schema],
                    "served": true,
                    "storage": true,
                    "subresources": statusSubresource ? ["status": [:]] : [:],
                ]],
            ],
        ])
    }

    /// An object schema that also keeps fields it does not declare.
    static func open(_ properties: KeyValuePairs<String, JSONValue>, required: [String] = []) -> JSONValue {
        var schema = S.object(properties, required: required)
        if case .object(var members) = schema {
            members["x-kubernetes-preserve-unknown-fields"] = true
            schema = .object(members)
        }
        return schema
    }

    /// The root of a core kind: apiVersion, kind, metadata and the given members.
    static func root(_ properties: [(String, JSONValue)]) -> JSONValue {
        S.object(fields: [("apiVersion", S.string()), ("kind", S.string()), ("metadata", ["type": "object"])] + properties)
    }

    static let stringMap = S.map(of: S.string())
    static let int32 = S.integer(format: "int32")
    static let port = S.integer(format: "int32", minimum: 1, maximum: 65535)
    static let intOrString: JSONValue = ["anyOf": [["type": "integer"], ["type": "string"]], "x-kubernetes-int-or-string": true]
    static let objectReference = open([
        "apiVersion": S.string(), "kind": S.string(), "name": S.string(), "namespace": S.string(), "uid": S.string(),
        "resourceVersion": S.string(), "fieldPath": S.string(),
    ])
}
