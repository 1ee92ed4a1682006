/// The kinds a cluster serves, one entry per group/version/kind: where it lives in the REST API,
/// its scope, whether it has a status subresource, and its schema. Built from
/// CustomResourceDefinitions; the core kinds Sluice needs are described in the same shape
/// (`CoreKinds.definitions`), so one catalog serves both.
public enum KindCatalog {
    public struct Entry: Sendable, Hashable {
        public var group: String
        public var version: String
        public var kind: String
        public var plural: String
        public var singular: String
        public var shortNames: [String]
        public var listKind: String
        public var namespaced: Bool
        public var statusSubresource: Bool
        /// Whether this version is the one the API stores (the group's preferred version).
        public var storage: Bool
        /// The version's `openAPIV3Schema`.
        public var schema: JSONValue

        public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    }

    /// Every served version of a CustomResourceDefinition (or a core kind in that shape).
    public static func entries(of crd: Object) -> [Entry] {
        guard let group = crd[FieldPath(parsing: "spec.group")]?.stringValue,
            let names = crd[FieldPath(parsing: "spec.names")],
            let kind = names["kind"]?.stringValue, let plural = names["plural"]?.stringValue
        else { return [] }
        let namespaced = crd[FieldPath(parsing: "spec.scope")]?.stringValue != "Cluster"
        return (crd[FieldPath(parsing: "spec.versions")]?.arrayValue ?? []).compactMap { version in
            guard let name = version["name"]?.stringValue, version["served"]?.boolValue != false else { return nil }
            return Entry(
                group: group, version: name, kind: kind, plural: plural,
                singular: names["singular"]?.stringValue ?? kind.lowercased(),
                shortNames: (names["shortNames"]?.arrayValue ?? []).compactMap(\.stringValue),
                listKind: names["listKind"]?.stringValue ?? kind + "List", namespaced: namespaced,
                statusSubresource: version["subresources"]?["status"] != nil,
                storage: version["storage"]?.boolValue ?? false,
                schema: version["schema"]?["openAPIV3Schema"] ?? [:])
        }
    }

    /// The kinds every Sluice cluster serves from its first start: the core kinds and the
    /// built-in Gateway API CRDs.
    public static var builtIn: [Entry] {
        (CoreKinds.definitions + GatewayAPI.customResourceDefinitions).flatMap(entries(of:))
    }

    /// A SchemaCatalog that knows every built-in kind.
    public static var builtInSchemas: SchemaCatalog {
        var catalog = SchemaCatalog()
        for definition in CoreKinds.definitions + GatewayAPI.customResourceDefinitions { catalog.add(crd: definition) }
        return catalog
    }
}
