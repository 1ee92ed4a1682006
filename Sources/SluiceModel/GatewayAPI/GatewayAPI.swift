import OrderedCollections

/// The Gateway API kinds Sluice knows without being told: their CustomResourceDefinitions,
/// written from the Gateway API specification (standard channel, v1.6.1), which EmbeddedCluster
/// serves from its first start and `sluice validate` uses by default.
///
/// GatewayClass, Gateway, HTTPRoute, GRPCRoute (v1, and v1beta1 where upstream still serves it),
/// ReferenceGrant and ListenerSet. `BuiltInSchemaTests` proves each equal to the upstream release file in
/// everything but descriptions.
public enum GatewayAPI {
    public static let group = "gateway.networking.k8s.io"
    public static let bundleVersion = "v1.6.1"

    /// Every built-in CustomResourceDefinition.
    public static var customResourceDefinitions: [Object] {
        [gatewayClassCRD, gatewayCRD, httpRouteCRD, grpcRouteCRD, referenceGrantCRD, listenerSetCRD]
    }

    /// A CRD in the layout the Gateway API release files use.
    static func crd(
        kind: String, plural: String, singular: String, shortNames: [String], scope: String,
        versions: [(name: String, storage: Bool)], columns: [JSONValue], schema: JSONValue, statusSubresource: Bool
    ) -> Object {
        let versionObjects: [JSONValue] = versions.map { version in
            .object([
                "additionalPrinterColumns": .array(columns),
                "name": .string(version.name),
                "schema": ["openAPIV3Schema": schema],
                "served": true,
                "storage": .bool(version.storage),
                "subresources": statusSubresource ? ["status": [:]] : [:],
            ])
        }
        var names: JSONObject = [
            "categories": ["gateway-api"],
            "kind": .string(kind),
            "listKind": .string(kind + "List"),
            "plural": .string(plural),
            "shortNames": .array(shortNames.map(JSONValue.string)),
            "singular": .string(singular),
        ]
        if shortNames.isEmpty { names["shortNames"] = nil }
        return Object([
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": [
                "annotations": [
                    "gateway.networking.k8s.io/bundle-version": .string(bundleVersion),
                    "gateway.networking.k8s.io/channel": "standard",
                ],
                "name": .string("\(plural).\(group)"),
            ],
            "spec": [
                "group": .string(group),
                "names": .object(names),
                "scope": .string(scope),
                "versions": .array(versionObjects),
            ],
        ])
    }
}
