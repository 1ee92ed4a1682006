/// ListenerSet: listeners attached to a Gateway from outside it, in the Gateway's namespace or,
/// where the Gateway's `allowedListeners` lets them, in others.
extension GatewayAPI {
    static var listenerSetCRD: Object {
        let parentRef = S.object(
            [
                "group": S.string(pattern: "^$|" + dnsSubdomainPattern, maxLength: 253, default: .string(group)),
                "kind": S.string(pattern: "^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$", minLength: 1, maxLength: 63, default: "Gateway"),
                "name": objectNameField,
                "namespace": namespaceField,
            ],
            required: ["name"])
        let spec = S.object(
            [
                "listeners": S.array(
                    of: listenerSchema, minItems: 1, maxItems: 64, listType: "map", mapKeys: ["name"],
                    rules: listenerRules(portOptional: true)),
                "parentRef": parentRef,
            ],
            required: ["listeners", "parentRef"])
        let pending: JSONValue = [pendingCondition("Accepted"), pendingCondition("Programmed")]
        let status = S.object(
            [
                "conditions": conditions(maxItems: 8, default: pending),
                "listeners": S.array(of: listenerStatusSchema, maxItems: 64, listType: "map", mapKeys: ["name"]),
            ],
            default: ["conditions": pending])
        return crd(
            kind: "ListenerSet", plural: "listenersets", singular: "listenerset", shortNames: ["lset"], scope: "Namespaced",
            versions: [("v1", true)],
            columns: [
                ["jsonPath": #".status.conditions[?(@.type=="Accepted")].status"#, "name": "Accepted", "type": "string"],
                ["jsonPath": #".status.conditions[?(@.type=="Programmed")].status"#, "name": "Programmed", "type": "string"],
                ageColumn,
            ],
            schema: S.resource(spec: spec, status: status), statusSubresource: true)
    }
}
