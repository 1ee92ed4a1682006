/// GRPCRoute: how gRPC calls are matched by service and method and sent to backends.
extension GatewayAPI {
    static var grpcRouteCRD: Object {
        let filterKinds: [(field: String, type: String)] = [
            ("requestHeaderModifier", "RequestHeaderModifier"), ("responseHeaderModifier", "ResponseHeaderModifier"),
            ("requestMirror", "RequestMirror"), ("extensionRef", "ExtensionRef"),
        ]
        let filter = S.object(
            [
                "extensionRef": extensionRef,
                "requestHeaderModifier": headerModifier,
                "requestMirror": requestMirror,
                "responseHeaderModifier": headerModifier,
                "type": S.string(enum: ["ResponseHeaderModifier", "RequestHeaderModifier", "RequestMirror", "ExtensionRef"]),
            ],
            required: ["type"],
            rules: filterKinds.flatMap { filterFieldRules($0.field, type: $0.type) })
        let filters = S.array(of: filter, maxItems: 16, listType: "atomic", rules: notRepeated(["RequestHeaderModifier", "ResponseHeaderModifier"]))
        let backendFields = backendObjectReference.map { ($0.key, $0.value) } + [("filters", filters), ("weight", backendWeight)]
        let backendRef = S.object(fields: backendFields, required: ["name"], rules: [servicePortRule])
        let exactOrUnset = "(!has(self.type) || self.type == 'Exact')"
        let servicePattern = #"^(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$"#
        let methodPattern = "^[A-Za-z_][A-Za-z_0-9]*$"
        let method = S.object(
            [
                "method": S.string(maxLength: 1024),
                "service": S.string(maxLength: 1024),
                "type": S.string(enum: ["Exact", "RegularExpression"], default: "Exact"),
            ],
            rules: [
                .init(message: "One or both of 'service' or 'method' must be specified",
                      rule: "has(self.type) ? has(self.service) || has(self.method) : true"),
                .init(message: "service must only contain valid characters (matching \(servicePattern))",
                      rule: "\(exactOrUnset) && has(self.service) ? self.service.matches(r\"\"\"\(servicePattern)\"\"\"): true"),
                .init(message: "method must only contain valid characters (matching \(methodPattern))",
                      rule: "\(exactOrUnset) && has(self.method) ? self.method.matches(r\"\"\"\(methodPattern)\"\"\"): true"),
            ])
        let match = S.object([
            "headers": S.array(of: headerMatch, maxItems: 16, listType: "map", mapKeys: ["name"]),
            "method": method,
        ])
        let rule = S.object([
            "backendRefs": S.array(of: backendRef, maxItems: 16, listType: "atomic"),
            "filters": filters,
            "matches": S.array(of: match, maxItems: 64, listType: "atomic"),
            "name": ruleName,
        ])
        let spec = S.object([
            "hostnames": hostnames,
            "parentRefs": parentRefs,
            "rules": S.array(of: rule, maxItems: 16, listType: "atomic", rules: [totalMatchesRule(optionalMatches: true)]),
        ])
        return routeCRD(kind: "GRPCRoute", plural: "grpcroutes", versions: [("v1", true)], spec: spec)
    }
}
