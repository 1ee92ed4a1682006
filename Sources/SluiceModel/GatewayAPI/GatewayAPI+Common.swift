/// Field types shared across the Gateway API kinds, as the spec defines them
/// (`apis/v1/shared_types.go`, `object_reference_types.go`).
extension GatewayAPI {
    typealias S = OpenAPISchema

    static let dnsSubdomainPattern = #"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"#

    /// An API group: empty for the core group, else a DNS subdomain.
    static let groupField = S.string(pattern: "^$|" + dnsSubdomainPattern, maxLength: 253)
    /// A kind name (CamelCase-ish).
    static let kindField = S.string(pattern: #"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$"#, minLength: 1, maxLength: 63)
    /// The name of an object.
    static let objectNameField = S.string(minLength: 1, maxLength: 253)
    /// A namespace name (an RFC 1123 label).
    static let namespaceField = S.string(pattern: #"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"#, minLength: 1, maxLength: 63)
    /// A controller name: a domain-prefixed path, e.g. `sluice.dev/gateway-controller`.
    static let controllerNamePattern =
        #"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$"#

    /// `metav1.Condition`, as every status of the Gateway API carries it.
    static let condition = S.object(
        [
            "lastTransitionTime": S.string(format: "date-time"),
            "message": S.string(maxLength: 32768),
            "observedGeneration": S.integer(format: "int64", minimum: 0),
            "reason": S.string(pattern: #"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"#, minLength: 1, maxLength: 1024),
            "status": S.string(enum: ["True", "False", "Unknown"]),
            "type": S.string(
                pattern: #"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"#,
                maxLength: 316),
        ],
        required: ["lastTransitionTime", "message", "reason", "status", "type"])

    /// The condition a resource carries until its controller has looked at it.
    static func pendingCondition(_ type: String) -> JSONValue {
        [
            "lastTransitionTime": "1970-01-01T00:00:00Z", "message": "Waiting for controller", "reason": "Pending",
            "status": "Unknown", "type": .string(type),
        ]
    }

    /// A list of conditions keyed by type, at most `maxItems`, starting as `defaults`.
    static func conditions(maxItems: Int, default defaults: JSONValue? = nil) -> JSONValue {
        S.array(of: condition, maxItems: maxItems, listType: "map", mapKeys: ["type"], default: defaults)
    }

    static let ageColumn: JSONValue = ["jsonPath": ".metadata.creationTimestamp", "name": "Age", "type": "date"]
}

extension GatewayAPI {
    /// A label selector (`metav1.LabelSelector`), atomic as a whole.
    static let labelSelector = S.object(
        [
            "matchExpressions": S.array(
                of: S.object(
                    [
                        "key": ["type": "string"], "operator": ["type": "string"],
                        "values": S.array(of: ["type": "string"], listType: "atomic"),
                    ],
                    required: ["key", "operator"]),
                listType: "atomic"),
            "matchLabels": S.map(of: ["type": "string"]),
        ],
        mapType: "atomic")

    /// A hostname, optionally with a leading `*.` wildcard label.
    static let hostnamePattern = #"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"#
    static let hostname = S.string(pattern: hostnamePattern, minLength: 1, maxLength: 253)
    /// A section (listener) name.
    static let sectionName = S.string(pattern: dnsSubdomainPattern, minLength: 1, maxLength: 253)
    static let portNumber = S.integer(format: "int32", minimum: 1, maximum: 65535)

    /// A reference to a Secret (by default) holding a certificate.
    static let secretObjectReference = S.object(
        [
            "group": S.string(pattern: "^$|" + dnsSubdomainPattern, maxLength: 253, default: ""),
            "kind": S.string(pattern: #"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$"#, minLength: 1, maxLength: 63, default: "Secret"),
            "name": objectNameField, "namespace": namespaceField,
        ],
        required: ["name"])

    /// A reference to an object of any kind, group and kind required.
    static let objectReference = S.object(
        ["group": groupField, "kind": kindField, "name": objectNameField, "namespace": namespaceField],
        required: ["group", "kind", "name"])

    /// Free-form string values, at most 16 keys.
    static let options = S.map(of: S.string(minLength: 0, maxLength: 4096), maxProperties: 16)

    /// An address type: Hostname, IPAddress, NamedAddress, or a domain-prefixed custom type.
    static let addressType = S.string(
        pattern: #"^Hostname|IPAddress|NamedAddress|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$"#,
        minLength: 1, maxLength: 253, default: "IPAddress")

    /// IP addresses must be IPv4 or IPv6; other types are not checked by format.
    static let addressOneOf: [JSONValue] = [
        ["properties": ["type": ["enum": ["IPAddress"]], "value": ["anyOf": [["format": "ipv4"], ["format": "ipv6"]]]]],
        ["properties": ["type": ["not": ["enum": ["IPAddress"]]]]],
    ]

    /// A route kind a listener allows, in the Gateway API group unless said otherwise.
    static let routeGroupKind = S.object(
        [
            "group": S.string(pattern: "^$|" + dnsSubdomainPattern, maxLength: 253, default: .string(group)),
            "kind": kindField,
        ],
        required: ["kind"])

    /// A key → value map whose keys must look like Kubernetes label or annotation keys.
    static func metadataMap(_ noun: String, values: JSONValue, maxProperties: Int) -> JSONValue {
        let keyPattern = #"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$"#
        return S.map(
            of: values, maxProperties: maxProperties,
            rules: [
                .init(
                    message: "\(noun.capitalized) keys must be in the form of an optional DNS subdomain prefix followed by a required name segment of up to 63 characters.",
                    rule: "self.all(key, key.matches(r\"\"\"\(keyPattern)\"\"\"))"),
                .init(
                    message: "If specified, the \(noun) key's prefix must be a DNS subdomain not longer than 253 characters in total.",
                    rule: "self.all(key, key.split(\"/\")[0].size() < 253)"),
            ])
    }
}
