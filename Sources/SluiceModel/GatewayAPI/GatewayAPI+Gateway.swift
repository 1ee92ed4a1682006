/// Gateway: listeners bound to addresses, implemented by a GatewayClass's controller.
extension GatewayAPI {
    static var gatewayCRD: Object {
        let hostnameRule = #"self.value.matches(r"""^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$""")"#
        let validCharacters = #"(matching ^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)"#
        let specAddress = S.object(
            ["type": addressType, "value": S.string(maxLength: 253)],
            rules: [.init(
                message: "Hostname value must be empty or contain only valid characters \(validCharacters)",
                rule: "self.type == 'Hostname' ? (!has(self.value) || \(hostnameRule)): true")],
            oneOf: addressOneOf)
        func uniqueAddresses(_ type: String, spaces: String = " ") -> S.Rule {
            .init(
                message: "\(type) values must be unique",
                rule: "self.all(a1, a1.type == '\(type)'\(spaces)&& has(a1.value) ? self.exists_one(a2, a2.type == a1.type && has(a2.value) && a2.value == a1.value) : true )")
        }
        let caValidation = S.object(
            [
                "caCertificateRefs": S.array(of: objectReference, minItems: 1, maxItems: 16, listType: "atomic"),
                "mode": S.string(enum: ["AllowValidOnly", "AllowInsecureFallback"], default: "AllowValidOnly"),
            ],
            required: ["caCertificateRefs"])
        let spec = S.object(
            [
                "addresses": S.array(
                    of: specAddress, maxItems: 16, listType: "atomic",
                    rules: [uniqueAddresses("IPAddress"), uniqueAddresses("Hostname", spaces: "  ")]),
                "allowedListeners": S.object([
                    "namespaces": S.object(
                        ["from": S.string(enum: ["All", "Selector", "Same", "None"], default: "None"), "selector": labelSelector],
                        default: ["from": "None"]),
                ]),
                "gatewayClassName": S.string(minLength: 1, maxLength: 253),
                "infrastructure": S.object([
                    "annotations": metadataMap("annotation", values: S.string(minLength: 0, maxLength: 4096), maxProperties: 16),
                    "labels": metadataMap(
                        "label",
                        values: S.string(pattern: #"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"#, minLength: 0, maxLength: 63),
                        maxProperties: 8),
                    "parametersRef": S.object(["group": groupField, "kind": kindField, "name": objectNameField], required: ["group", "kind", "name"]),
                ]),
                "listeners": S.array(of: listenerSchema, minItems: 1, maxItems: 64, listType: "map", mapKeys: ["name"], rules: listenerRules()),
                "tls": S.object([
                    "backend": S.object(["clientCertificateRef": secretObjectReference]),
                    "frontend": S.object(
                        [
                            "default": S.object(["validation": caValidation]),
                            "perPort": S.array(
                                of: S.object(["port": portNumber, "tls": S.object(["validation": caValidation])], required: ["port", "tls"]),
                                maxItems: 64, listType: "map", mapKeys: ["port"],
                                rules: [.init(message: "Port for TLS configuration must be unique within the Gateway",
                                              rule: "self.all(t1, self.exists_one(t2, t1.port == t2.port))")]),
                        ],
                        required: ["default"]),
                ]),
            ],
            required: ["gatewayClassName", "listeners"])

        let pending: JSONValue = [pendingCondition("Accepted"), pendingCondition("Programmed")]
        let statusAddress = S.object(
            ["type": addressType, "value": S.string(minLength: 1, maxLength: 253)],
            required: ["value"],
            rules: [.init(
                message: "Hostname value must only contain valid characters \(validCharacters)",
                rule: "self.type == 'Hostname' ? \(hostnameRule): true")],
            oneOf: addressOneOf)
        let status = S.object(
            [
                "addresses": S.array(of: statusAddress, maxItems: 16, listType: "atomic"),
                "attachedListenerSets": S.integer(format: "int32"),
                "conditions": conditions(maxItems: 8, default: pending),
                "listeners": S.array(of: listenerStatusSchema, maxItems: 64, listType: "map", mapKeys: ["name"]),
            ],
            default: ["conditions": pending])
        return crd(
            kind: "Gateway", plural: "gateways", singular: "gateway", shortNames: ["gtw"], scope: "Namespaced",
            versions: [("v1", true), ("v1beta1", false)],
            columns: [
                ["jsonPath": ".spec.gatewayClassName", "name": "Class", "type": "string"],
                ["jsonPath": ".status.addresses[*].value", "name": "Address", "type": "string"],
                ["jsonPath": #".status.conditions[?(@.type=="Programmed")].status"#, "name": "Programmed", "type": "string"],
                ageColumn,
            ],
            schema: S.resource(spec: spec, status: status), statusSubresource: true)
    }
}

extension GatewayAPI {
    /// A listener, as Gateways and ListenerSets declare them.
    static var listenerSchema: JSONValue {
        S.object(
            [
                "allowedRoutes": S.object(
                    [
                        "kinds": S.array(of: routeGroupKind, maxItems: 8, listType: "atomic"),
                        "namespaces": S.object(
                            ["from": S.string(enum: ["All", "Selector", "Same"], default: "Same"), "selector": labelSelector],
                            default: ["from": "Same"]),
                    ],
                    default: ["namespaces": ["from": "Same"]]),
                "hostname": hostname,
                "name": sectionName,
                "port": portNumber,
                "protocol": S.string(
                    pattern: #"^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$"#,
                    minLength: 1, maxLength: 255),
                "tls": S.object(
                    [
                        "certificateRefs": S.array(of: secretObjectReference, maxItems: 64, listType: "atomic"),
                        "mode": S.string(enum: ["Terminate", "Passthrough"], default: "Terminate"),
                        "options": options,
                    ],
                    rules: [.init(
                        message: "certificateRefs or options must be specified when mode is Terminate",
                        rule: "self.mode == 'Terminate' ? size(self.certificateRefs) > 0 || size(self.options) > 0 : true")]),
            ],
            required: ["name", "port", "protocol"])
    }

    /// The rules on a list of listeners. ListenerSets write the port-protocol-hostname rule so
    /// that a listener without a port passes it.
    static func listenerRules(portOptional: Bool = false) -> [S.Rule] {
        let uniqueCombination: S.Rule = portOptional
            ? .init(message: "Combination of port, protocol and hostname must be unique for each listener",
                    rule: "self.all(l1, !has(l1.port) || self.exists_one(l2, has(l2.port) && l1.port == l2.port && l1.protocol == l2.protocol && (has(l1.hostname) && has(l2.hostname) ? l1.hostname == l2.hostname : !has(l1.hostname) && !has(l2.hostname))))")
            : .init(message: "Combination of port, protocol and hostname must be unique for each listener",
                    rule: "self.all(l1, self.exists_one(l2, l1.port == l2.port && l1.protocol == l2.protocol && (has(l1.hostname) && has(l2.hostname) ? l1.hostname == l2.hostname : !has(l1.hostname) && !has(l2.hostname))))")
        return [
            .init(message: "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']",
                  rule: "self.all(l, l.protocol in ['HTTP', 'TCP', 'UDP'] ? !has(l.tls) : true)"),
            .init(message: "tls mode must be Terminate for protocol HTTPS",
                  rule: "self.all(l, (l.protocol == 'HTTPS' && has(l.tls)) ? (l.tls.mode == '' || l.tls.mode == 'Terminate') : true)"),
            .init(message: "tls mode must be set for protocol TLS",
                  rule: "self.all(l, (l.protocol == 'TLS' ? has(l.tls) && has(l.tls.mode) && l.tls.mode != '' : true))"),
            .init(message: "hostname must not be specified for protocols ['TCP', 'UDP']",
                  rule: "self.all(l, l.protocol in ['TCP', 'UDP']  ? (!has(l.hostname) || l.hostname == '') : true)"),
            .init(message: "Listener name must be unique within the Gateway",
                  rule: "self.all(l1, self.exists_one(l2, l1.name == l2.name))"),
            uniqueCombination,
        ]
    }

    /// A listener's status, in Gateways and ListenerSets.
    static var listenerStatusSchema: JSONValue {
        S.object(
            [
                "attachedRoutes": S.integer(format: "int32"),
                "conditions": conditions(maxItems: 8),
                "name": sectionName,
                "supportedKinds": S.array(of: routeGroupKind, maxItems: 8, listType: "atomic"),
            ],
            required: ["attachedRoutes", "conditions", "name"])
    }
}
