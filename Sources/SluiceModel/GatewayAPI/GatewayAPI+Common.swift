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
