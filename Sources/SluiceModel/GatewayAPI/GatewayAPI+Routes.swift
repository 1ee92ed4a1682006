/// What HTTPRoute and GRPCRoute share: parent references, backend references, header filters,
/// mirroring, extension filters, and the route status.
extension GatewayAPI {
    /// An HTTP header name (RFC 7230 token).
    static let headerName = S.string(pattern: #"^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$"#, minLength: 1, maxLength: 256)

    /// A reference from a route to the Gateway (or other parent) it attaches to.
    static let parentReference = S.object(
        [
            "group": S.string(pattern: "^$|" + dnsSubdomainPattern, maxLength: 253, default: .string(group)),
            "kind": S.string(pattern: #"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$"#, minLength: 1, maxLength: 63, default: "Gateway"),
            "name": objectNameField, "namespace": namespaceField, "port": portNumber, "sectionName": sectionName,
        ],
        required: ["name"])

    /// The condition that parents referenced twice name distinct sections, written out for
    /// both rules that check it.
    private static let sameParent =
        "p1.group == p2.group && p1.kind == p2.kind && p1.name == p2.name && (((!has(p1.__namespace__) || p1.__namespace__ == '') && (!has(p2.__namespace__) || p2.__namespace__ == '')) || (has(p1.__namespace__) && has(p2.__namespace__) && p1.__namespace__ == p2.__namespace__ ))"

    static let parentRefs = S.array(
        of: parentReference, maxItems: 32, listType: "atomic",
        rules: [
            .init(
                message: "sectionName must be specified when parentRefs includes 2 or more references to the same parent",
                rule: "self.all(p1, self.all(p2, \(sameParent) ? ((!has(p1.sectionName) || p1.sectionName == '') == (!has(p2.sectionName) || p2.sectionName == '')) : true))"),
            .init(
                message: "sectionName must be unique when parentRefs includes 2 or more references to the same parent",
                rule: "self.all(p1, self.exists_one(p2, \(sameParent) && (((!has(p1.sectionName) || p1.sectionName == '') && (!has(p2.sectionName) || p2.sectionName == '')) || (has(p1.sectionName) && has(p2.sectionName) && p1.sectionName == p2.sectionName))))"),
        ])

    static let hostnames = S.array(of: hostname, maxItems: 16, listType: "atomic")

    static let servicePortRule = S.Rule(
        message: "Must have port for Service reference",
        rule: "(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true")

    /// The fields of a reference to a backend (a Service unless said otherwise).
    static let backendObjectReference: KeyValuePairs<String, JSONValue> = [
        "group": S.string(pattern: "^$|" + dnsSubdomainPattern, maxLength: 253, default: ""),
        "kind": S.string(pattern: #"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$"#, minLength: 1, maxLength: 63, default: "Service"),
        "name": objectNameField, "namespace": namespaceField, "port": portNumber,
    ]

    static let headerModifier: JSONValue = {
        let header = S.object(["name": headerName, "value": S.string(minLength: 1, maxLength: 4096)], required: ["name", "value"])
        return S.object([
            "add": S.array(of: header, maxItems: 16, listType: "map", mapKeys: ["name"]),
            "remove": S.array(of: ["type": "string"], maxItems: 16, listType: "set"),
            "set": S.array(of: header, maxItems: 16, listType: "map", mapKeys: ["name"]),
        ])
    }()

    static let requestMirror = S.object(
        [
            "backendRef": S.object(backendObjectReference, required: ["name"], rules: [servicePortRule]),
            "fraction": S.object(
                [
                    "denominator": S.integer(format: "int32", minimum: 1, default: 100),
                    "numerator": S.integer(format: "int32", minimum: 0),
                ],
                required: ["numerator"],
                rules: [.init(message: "numerator must be less than or equal to denominator", rule: "self.numerator <= self.denominator")]),
            "percent": S.integer(format: "int32", minimum: 0, maximum: 100),
        ],
        required: ["backendRef"],
        rules: [.init(message: "Only one of percent or fraction may be specified in HTTPRequestMirrorFilter",
                      rule: "!(has(self.percent) && has(self.fraction))")])

    static let extensionRef = S.object(["group": groupField, "kind": kindField, "name": objectNameField], required: ["group", "kind", "name"])

    /// The two rules every filter field has: present exactly when the filter's type names it.
    static func filterFieldRules(_ field: String, type: String) -> [S.Rule] {
        [
            .init(message: "filter.\(field) must be nil if the filter.type is not \(type)", rule: "!(has(self.\(field)) && self.type != '\(type)')"),
            .init(message: "filter.\(field) must be specified for \(type) filter.type", rule: "!(!has(self.\(field)) && self.type == '\(type)')"),
        ]
    }

    static func notRepeated(_ types: [String]) -> [S.Rule] {
        types.map { .init(message: "\($0) filter cannot be repeated", rule: "self.filter(f, f.type == '\($0)').size() <= 1") }
    }

    static let backendWeight = S.integer(format: "int32", minimum: 0, maximum: 1_000_000, default: 1)
    static let ruleName = sectionName
    static let routeTimeoutPattern = "^([0-9]{1,5}(h|m|s|ms)){1,4}$"

    /// A header match (HTTP and gRPC alike).
    static let headerMatch = S.object(
        [
            "name": headerName,
            "type": S.string(enum: ["Exact", "RegularExpression"], default: "Exact"),
            "value": S.string(minLength: 1, maxLength: 4096),
        ],
        required: ["name", "value"])

    /// The sum of every rule's matches may not pass 128. CEL has no fold, so the rule adds the
    /// 16 rules one by one; `optionalMatches` guards rules without matches (GRPCRoute).
    static func totalMatchesRule(optionalMatches: Bool) -> S.Rule {
        let terms = (0..<16).map { index in
            optionalMatches
                ? "(self.size() > \(index) ? (has(self[\(index)].matches) ? self[\(index)].matches.size() : 0) : 0)"
                : "(self.size() > \(index) ? self[\(index)].matches.size() : 0)"
        }
        return .init(
            message: "While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128",
            rule: terms.joined(separator: " + ") + " <= 128")
    }

    /// The status every route carries: one entry per parent, written by each controller.
    static let routeStatus = S.object(
        [
            "parents": S.array(
                of: S.object(
                    [
                        "conditions": S.array(of: condition, minItems: 1, maxItems: 8, listType: "map", mapKeys: ["type"]),
                        "controllerName": S.string(pattern: controllerNamePattern, minLength: 1, maxLength: 253),
                        "parentRef": parentReference,
                    ],
                    required: ["conditions", "controllerName", "parentRef"]),
                maxItems: 32, listType: "atomic"),
        ],
        required: ["parents"])

    static func routeCRD(kind: String, plural: String, versions: [(name: String, storage: Bool)], spec: JSONValue) -> Object {
        crd(
            kind: kind, plural: plural, singular: kind.lowercased(), shortNames: [], scope: "Namespaced",
            versions: versions,
            columns: [["jsonPath": ".spec.hostnames", "name": "Hostnames", "type": "string"], ageColumn],
            schema: S.resource(spec: spec, status: routeStatus), statusSubresource: true)
    }
}
