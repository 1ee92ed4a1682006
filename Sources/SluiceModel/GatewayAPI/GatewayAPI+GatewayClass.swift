/// GatewayClass: a class of Gateways and the controller that implements them.
extension GatewayAPI {
    static var gatewayClassCRD: Object {
        let spec = S.object(
            [
                "controllerName": S.string(
                    pattern: controllerNamePattern, minLength: 1, maxLength: 253,
                    rules: [.init(message: "Value is immutable", rule: "self == oldSelf")]),
                "description": S.string(maxLength: 64),
                "parametersRef": S.object(
                    ["group": groupField, "kind": kindField, "name": objectNameField, "namespace": namespaceField],
                    required: ["group", "kind", "name"]),
            ],
            required: ["controllerName"])
        let accepted = pendingCondition("Accepted")
        let status = S.object(
            [
                "conditions": conditions(maxItems: 8, default: [accepted]),
                "supportedFeatures": S.array(
                    of: S.object(["name": ["type": "string"]], required: ["name"]),
                    maxItems: 64, listType: "map", mapKeys: ["name"]),
            ],
            default: ["conditions": [accepted]])
        return crd(
            kind: "GatewayClass", plural: "gatewayclasses", singular: "gatewayclass", shortNames: ["gc"],
            scope: "Cluster", versions: [("v1", true), ("v1beta1", false)],
            columns: [
                ["jsonPath": ".spec.controllerName", "name": "Controller", "type": "string"],
                ["jsonPath": #".status.conditions[?(@.type=="Accepted")].status"#, "name": "Accepted", "type": "string"],
                ageColumn,
                ["jsonPath": ".spec.description", "name": "Description", "priority": 1, "type": "string"],
            ],
            schema: S.resource(spec: spec, status: status), statusSubresource: true)
    }
}
