/// ReferenceGrant: lets objects in other namespaces refer to objects in this one.
extension GatewayAPI {
    static var referenceGrantCRD: Object {
        let from = S.object(["group": groupField, "kind": kindField, "namespace": namespaceField], required: ["group", "kind", "namespace"])
        let to = S.object(["group": groupField, "kind": kindField, "name": objectNameField], required: ["group", "kind"])
        let spec = S.object([
            "from": S.array(of: from, minItems: 1, maxItems: 16, listType: "atomic"),
            "to": S.array(of: to, minItems: 1, maxItems: 16, listType: "atomic"),
        ], required: ["from", "to"])
        return crd(
            kind: "ReferenceGrant", plural: "referencegrants", singular: "referencegrant", shortNames: ["refgrant"],
            scope: "Namespaced", versions: [("v1", false), ("v1beta1", true)], columns: [ageColumn],
            schema: S.resource(spec: spec), statusSubresource: false)
    }
}
