/// HTTPRoute: how HTTP requests that reach a Gateway are matched, filtered and sent to backends.
extension GatewayAPI {
    static var httpRouteCRD: Object {
        let pathModifier = S.object(
            [
                "replaceFullPath": S.string(maxLength: 1024),
                "replacePrefixMatch": S.string(maxLength: 1024),
                "type": S.string(enum: ["ReplaceFullPath", "ReplacePrefixMatch"]),
            ],
            required: ["type"],
            rules: [
                .init(message: "replaceFullPath must be specified when type is set to 'ReplaceFullPath'",
                      rule: "self.type == 'ReplaceFullPath' ? has(self.replaceFullPath) : true"),
                .init(message: "type must be 'ReplaceFullPath' when replaceFullPath is set",
                      rule: "has(self.replaceFullPath) ? self.type == 'ReplaceFullPath' : true"),
                .init(message: "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'",
                      rule: "self.type == 'ReplacePrefixMatch' ? has(self.replacePrefixMatch) : true"),
                .init(message: "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set",
                      rule: "has(self.replacePrefixMatch) ? self.type == 'ReplacePrefixMatch' : true"),
            ])
        let preciseHostname = S.string(pattern: dnsSubdomainPattern, minLength: 1, maxLength: 253)
        func starAlone(_ field: String, _ noun: String) -> S.Rule {
            .init(message: "\(field) cannot contain '*' alongside other \(noun)", rule: "!('*' in self && self.size() > 1)")
        }
        let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]
        let cors = S.object([
            "allowCredentials": ["type": "boolean"],
            "allowHeaders": S.array(of: headerName, maxItems: 64, listType: "set", rules: [starAlone("AllowHeaders", "methods")]),
            "allowMethods": S.array(of: S.string(enum: methods + ["*"]), maxItems: 9, listType: "set", rules: [starAlone("AllowMethods", "methods")]),
            "allowOrigins": S.array(
                of: S.string(
                    pattern: #"(^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)"#,
                    minLength: 1, maxLength: 253),
                maxItems: 64, listType: "set", rules: [starAlone("AllowOrigins", "origins")]),
            "exposeHeaders": S.array(of: headerName, maxItems: 64, listType: "set"),
            "maxAge": S.integer(format: "int32", minimum: 1, default: 5),
        ])
        let filterKinds: [(field: String, type: String)] = [
            ("cors", "CORS"), ("requestHeaderModifier", "RequestHeaderModifier"), ("responseHeaderModifier", "ResponseHeaderModifier"),
            ("requestMirror", "RequestMirror"), ("requestRedirect", "RequestRedirect"), ("urlRewrite", "URLRewrite"),
            ("extensionRef", "ExtensionRef"),
        ]
        let filter = S.object(
            [
                "cors": cors,
                "extensionRef": extensionRef,
                "requestHeaderModifier": headerModifier,
                "requestMirror": requestMirror,
                "requestRedirect": S.object([
                    "hostname": preciseHostname,
                    "path": pathModifier,
                    "port": portNumber,
                    "scheme": S.string(enum: ["http", "https"]),
                    "statusCode": S.integer(enum: [301, 302, 303, 307, 308], default: 302),
                ]),
                "responseHeaderModifier": headerModifier,
                "type": S.string(enum: ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "RequestRedirect", "URLRewrite", "ExtensionRef", "CORS"]),
                "urlRewrite": S.object(["hostname": preciseHostname, "path": pathModifier]),
            ],
            required: ["type"],
            rules: filterKinds.flatMap { filterFieldRules($0.field, type: $0.type) })
        let filters = S.array(
            of: filter, maxItems: 16, listType: "atomic",
            rules: [.init(
                message: "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both",
                rule: "!(self.exists(f, f.type == 'RequestRedirect') && self.exists(f, f.type == 'URLRewrite'))")]
                + notRepeated(["CORS", "RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite"]))
        let backendFields = backendObjectReference.map { ($0.key, $0.value) } + [("filters", filters), ("weight", backendWeight)]
        let backendRef = S.object(fields: backendFields, required: ["name"], rules: [servicePortRule])

        let exactOrPrefix = "(self.type in ['Exact','PathPrefix'])"
        func pathRule(_ message: String, _ check: String) -> S.Rule {
            .init(message: "\(message) when type one of ['Exact', 'PathPrefix']", rule: "\(exactOrPrefix) ? \(check) : true")
        }
        let pathCharacters = #"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$"#
        let path = S.object(
            [
                "type": S.string(enum: ["Exact", "PathPrefix", "RegularExpression"], default: "PathPrefix"),
                "value": S.string(maxLength: 1024, default: "/"),
            ],
            default: ["type": "PathPrefix", "value": "/"],
            rules: [
                pathRule("value must be an absolute path and start with '/'", "self.value.startsWith('/')"),
                pathRule("must not contain '//'", "!self.value.contains('//')"),
                pathRule("must not contain '/./'", "!self.value.contains('/./')"),
                pathRule("must not contain '/../'", "!self.value.contains('/../')"),
                pathRule("must not contain '%2f'", "!self.value.contains('%2f')"),
                pathRule("must not contain '%2F'", "!self.value.contains('%2F')"),
                pathRule("must not contain '#'", "!self.value.contains('#')"),
                pathRule("must not end with '/..'", "!self.value.endsWith('/..')"),
                pathRule("must not end with '/.'", "!self.value.endsWith('/.')"),
                .init(message: "type must be one of ['Exact', 'PathPrefix', 'RegularExpression']",
                      rule: "self.type in ['Exact','PathPrefix'] || self.type == 'RegularExpression'"),
                .init(message: "must only contain valid characters (matching \(pathCharacters)) for types ['Exact', 'PathPrefix']",
                      rule: "\(exactOrPrefix) ? self.value.matches(r\"\"\"\(pathCharacters)\"\"\") : true"),
            ])
        let match = S.object([
            "headers": S.array(of: headerMatch, maxItems: 16, listType: "map", mapKeys: ["name"]),
            "method": S.string(enum: methods),
            "path": path,
            "queryParams": S.array(
                of: S.object(
                    [
                        "name": headerName,
                        "type": S.string(enum: ["Exact", "RegularExpression"], default: "Exact"),
                        "value": S.string(minLength: 1, maxLength: 1024),
                    ],
                    required: ["name", "value"]),
                maxItems: 16, listType: "map", mapKeys: ["name"]),
        ])
        let defaultMatch: JSONValue = [["path": ["type": "PathPrefix", "value": "/"]]]

        let onePrefixMatch = "((size(self.matches) != 1 || !has(self.matches[0].path) || self.matches[0].path.type != 'PathPrefix') ? false : true)"
        func prefixRewrite(_ field: String) -> String {
            "has(f.\(field)) && has(f.\(field).path) && f.\(field).path.type == 'ReplacePrefixMatch' && has(f.\(field).path.replacePrefixMatch)"
        }
        let ruleRules: [S.Rule] = [
            .init(message: "RequestRedirect filter must not be used together with backendRefs",
                  rule: "(has(self.backendRefs) && size(self.backendRefs) > 0) ? (!has(self.filters) || self.filters.all(f, !has(f.requestRedirect))): true"),
            .init(message: "When using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified",
                  rule: "(has(self.filters) && self.filters.exists_one(f, \(prefixRewrite("requestRedirect")))) ? \(onePrefixMatch) : true"),
            .init(message: "When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified",
                  rule: "(has(self.filters) && self.filters.exists_one(f, \(prefixRewrite("urlRewrite")))) ? \(onePrefixMatch) : true"),
            .init(message: "Within backendRefs, when using RequestRedirect filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified",
                  rule: "(has(self.backendRefs) && self.backendRefs.exists_one(b, (has(b.filters) && b.filters.exists_one(f, \(prefixRewrite("requestRedirect")))) )) ? \(onePrefixMatch) : true"),
            .init(message: "Within backendRefs, When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified",
                  rule: "(has(self.backendRefs) && self.backendRefs.exists_one(b, (has(b.filters) && b.filters.exists_one(f, \(prefixRewrite("urlRewrite")))) )) ? \(onePrefixMatch) : true"),
        ]
        let rule = S.object(
            [
                "backendRefs": S.array(of: backendRef, maxItems: 16, listType: "atomic"),
                "filters": filters,
                "matches": S.array(of: match, maxItems: 64, listType: "atomic", default: defaultMatch),
                "name": ruleName,
                "timeouts": S.object(
                    ["backendRequest": S.string(pattern: routeTimeoutPattern), "request": S.string(pattern: routeTimeoutPattern)],
                    rules: [.init(
                        message: "backendRequest timeout cannot be longer than request timeout",
                        rule: "!(has(self.request) && has(self.backendRequest) && duration(self.request) != duration('0s') && duration(self.backendRequest) > duration(self.request))")]),
            ],
            rules: ruleRules)
        let spec = S.object([
            "hostnames": hostnames,
            "parentRefs": parentRefs,
            "rules": S.array(
                of: rule, minItems: 1, maxItems: 16, listType: "atomic", default: [["matches": defaultMatch]],
                rules: [totalMatchesRule(optionalMatches: false)]),
        ])
        return routeCRD(kind: "HTTPRoute", plural: "httproutes", versions: [("v1", true), ("v1beta1", false)], spec: spec)
    }
}
