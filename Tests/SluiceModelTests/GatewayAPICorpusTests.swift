import SluiceModel
import Testing

/// One invalid object: the kind, its `spec` (YAML), the field the API server names, and a piece
/// of its message.
struct InvalidCase: CustomTestStringConvertible, Sendable {
    var kind: String
    var spec: String
    var field: String
    var message: String
    /// For transition rules: the old object's spec.
    var oldSpec: String? = nil

    var testDescription: String { "\(kind) \(field): \(message)" }
}

/// Valid objects and invalid ones (one per schema constraint or CEL rule), judged by the
/// upstream Gateway API v1.6.1 CRDs. When Sluice's built-in schemas exist (issue #12), the same
/// corpus runs against them.
@Suite("Gateway API corpus: what the API server accepts and refuses")
struct GatewayAPICorpusTests {
    static let route = "parentRefs: [{name: gw}]\n"
    static func rule(_ body: String) -> String { route + "rules:\n- " + body + "\n" }
    static let backend = "backendRefs: [{name: svc, port: 80}]"
    static func filter(_ body: String) -> String { rule("filters: [\(body)]") }
    static func backendFilter(_ body: String) -> String { rule("backendRefs: [{name: svc, port: 80, filters: [\(body)]}]") }
    static func pathMatch(_ value: String, _ type: String = "PathPrefix") -> String {
        rule("matches: [{path: {type: \(type), value: '\(value)'}}]\n  \(backend)")
    }
    static let listener = "{name: http, protocol: HTTP, port: 80}"
    static func gateway(_ listeners: String, _ extra: String = "") -> String {
        "gatewayClassName: sluice\nlisteners: \(listeners)\n" + extra
    }
    static let grpcRoute = "parentRefs: [{name: gw}]\n"
    static func grpcRule(_ body: String) -> String { grpcRoute + "rules:\n- " + body + "\n" }

    static let invalid: [InvalidCase] = {
        var cases: [InvalidCase] = []
        func add(_ kind: String, _ spec: String, _ field: String, _ message: String, old: String? = nil) {
            cases.append(InvalidCase(kind: kind, spec: spec, field: field, message: message, oldSpec: old))
        }
        // HTTPRoute: CEL rules.
        add("HTTPRoute", "parentRefs: [{name: gw}, {name: gw, sectionName: https}]\n", "spec.parentRefs", "sectionName must be specified")
        add("HTTPRoute", "parentRefs: [{name: gw, sectionName: a}, {name: gw, sectionName: a}]\n", "spec.parentRefs", "sectionName must be unique")
        let fifty = "[" + Array(repeating: "{path: {value: /}}", count: 50).joined(separator: ", ") + "]"
        add("HTTPRoute", route + "rules: [{matches: \(fifty)}, {matches: \(fifty)}, {matches: \(fifty)}]\n", "spec.rules", "total number of matches across all rules")
        add("HTTPRoute", rule("filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]\n  \(backend)"), "spec.rules[0]", "RequestRedirect filter must not be used together with backendRefs")
        add("HTTPRoute", rule("matches: [{path: {type: Exact, value: /a}}]\n  filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}}]"), "spec.rules[0]", "When using RequestRedirect filter with path.replacePrefixMatch")
        add("HTTPRoute", rule("matches: [{path: {type: Exact, value: /a}}]\n  filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}}]\n  \(backend)"), "spec.rules[0]", "When using URLRewrite filter with path.replacePrefixMatch")
        add("HTTPRoute", rule("matches: [{path: {type: Exact, value: /a}}]\n  backendRefs: [{name: svc, port: 80, filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}}]}]"), "spec.rules[0]", "Within backendRefs, When using URLRewrite filter")
        add("HTTPRoute", rule("backendRefs: [{name: svc}]"), "spec.rules[0].backendRefs[0]", "Must have port for Service reference")
        add("HTTPRoute", filter("{type: RequestRedirect, requestRedirect: {scheme: https}}, {type: URLRewrite, urlRewrite: {hostname: x.example}}"), "spec.rules[0].filters", "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite")
        let header = "{set: [{name: x, value: y}]}"
        for (type, field, body) in [
            ("CORS", "cors", "{allowOrigins: ['https://a.example']}"), ("RequestHeaderModifier", "requestHeaderModifier", header),
            ("ResponseHeaderModifier", "responseHeaderModifier", header), ("URLRewrite", "urlRewrite", "{hostname: a.example}"),
        ] {
            add("HTTPRoute", rule("filters: [{type: \(type), \(field): \(body)}, {type: \(type), \(field): \(body)}]\n  \(backend)"), "spec.rules[0].filters", "\(type) filter cannot be repeated")
        }
        add("HTTPRoute", filter("{type: RequestRedirect, requestRedirect: {scheme: https}}, {type: RequestRedirect, requestRedirect: {scheme: https}}"), "spec.rules[0].filters", "RequestRedirect filter cannot be repeated")
        let filterBodies: [(String, String, String)] = [
            ("CORS", "cors", "{allowOrigins: ['https://a.example']}"), ("RequestHeaderModifier", "requestHeaderModifier", header),
            ("ResponseHeaderModifier", "responseHeaderModifier", header), ("RequestMirror", "requestMirror", "{backendRef: {name: m, port: 80}}"),
            ("RequestRedirect", "requestRedirect", "{scheme: https}"), ("URLRewrite", "urlRewrite", "{hostname: a.example}"),
            ("ExtensionRef", "extensionRef", "{group: example.com, kind: Thing, name: t}"),
        ]
        for (type, field, body) in filterBodies {
            let other = type == "CORS" ? "RequestHeaderModifier" : "CORS"
            add("HTTPRoute", filter("{type: \(other), \(field): \(body)}"), "spec.rules[0].filters[0]", "filter.\(field) must be nil if the filter.type is not \(type)")
            add("HTTPRoute", filter("{type: \(type)}"), "spec.rules[0].filters[0]", "filter.\(field) must be specified for \(type) filter.type")
        }
        for (field, message) in [("allowHeaders", "AllowHeaders cannot contain '*'"), ("allowMethods", "AllowMethods cannot contain '*'"), ("allowOrigins", "AllowOrigins cannot contain '*'")] {
            let values = field == "allowMethods" ? "['*', GET]" : field == "allowOrigins" ? "['*', 'https://a.example']" : "['*', x-a]"
            add("HTTPRoute", filter("{type: CORS, cors: {\(field): \(values)}}"), "spec.rules[0].filters[0].cors.\(field)", message)
        }
        add("HTTPRoute", filter("{type: RequestMirror, requestMirror: {backendRef: {name: m, port: 80}, percent: 10, fraction: {numerator: 1, denominator: 10}}}"), "spec.rules[0].filters[0].requestMirror", "Only one of percent or fraction")
        add("HTTPRoute", filter("{type: RequestMirror, requestMirror: {backendRef: {name: m}}}"), "spec.rules[0].filters[0].requestMirror.backendRef", "Must have port for Service reference")
        add("HTTPRoute", filter("{type: RequestMirror, requestMirror: {backendRef: {name: m, port: 80}, fraction: {numerator: 5, denominator: 2}}}"), "spec.rules[0].filters[0].requestMirror.fraction", "numerator must be less than or equal to denominator")
        for (filterType, field) in [("RequestRedirect", "requestRedirect"), ("URLRewrite", "urlRewrite")] {
            let tail = filterType == "URLRewrite" ? "\n  \(backend)" : ""
            func pathFilter(_ path: String) -> String { rule("filters: [{type: \(filterType), \(field): {path: \(path)}}]" + tail) }
            add("HTTPRoute", pathFilter("{type: ReplaceFullPath}"), "spec.rules[0].filters[0].\(field).path", "replaceFullPath must be specified when type is set to 'ReplaceFullPath'")
            add("HTTPRoute", pathFilter("{type: ReplacePrefixMatch, replaceFullPath: /x}"), "spec.rules[0].filters[0].\(field).path", "type must be 'ReplaceFullPath' when replaceFullPath is set")
            add("HTTPRoute", pathFilter("{type: ReplacePrefixMatch}"), "spec.rules[0].filters[0].\(field).path", "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'")
            add("HTTPRoute", pathFilter("{type: ReplaceFullPath, replaceFullPath: /x, replacePrefixMatch: /y}"), "spec.rules[0].filters[0].\(field).path", "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set")
        }
        for (value, message) in [
            ("api", "value must be an absolute path and start with '/'"), ("/a//b", "must not contain '//'"),
            ("/a/./b", "must not contain '/./'"), ("/a/../b", "must not contain '/../'"), ("/a%2fb", "must not contain '%2f'"),
            ("/a%2Fb", "must not contain '%2F'"), ("/a#b", "must not contain '#'"), ("/a/..", "must not end with '/..'"),
            ("/a/.", "must not end with '/.'"), ("/a b", "must only contain valid characters"),
        ] {
            add("HTTPRoute", pathMatch(value), "spec.rules[0].matches[0].path", message)
        }
        add("HTTPRoute", rule("timeouts: {request: 1s, backendRequest: 2s}\n  \(backend)"), "spec.rules[0].timeouts", "backendRequest timeout cannot be longer than request timeout")
        add("HTTPRoute", backendFilter("{type: RequestHeaderModifier, requestHeaderModifier: \(header)}, {type: RequestHeaderModifier, requestHeaderModifier: \(header)}"), "spec.rules[0].backendRefs[0].filters", "RequestHeaderModifier filter cannot be repeated")
        add("HTTPRoute", backendFilter("{type: RequestMirror}"), "spec.rules[0].backendRefs[0].filters[0]", "filter.requestMirror must be specified for RequestMirror filter.type")
        add("HTTPRoute", backendFilter("{type: RequestRedirect, requestRedirect: {scheme: https}}, {type: URLRewrite, urlRewrite: {hostname: a.example}}"), "spec.rules[0].backendRefs[0].filters", "May specify either")
        // HTTPRoute: schema constraints.
        add("HTTPRoute", rule("backendRefs: [{name: svc, port: 80, weight: 1000001}]"), "spec.rules[0].backendRefs[0].weight", "should be less than or equal to 1000000")
        add("HTTPRoute", rule("backendRefs: [{name: svc, port: 80, weight: -1}]"), "spec.rules[0].backendRefs[0].weight", "should be greater than or equal to 0")
        add("HTTPRoute", route + "hostnames: ['UPPER_case!']\n", "spec.hostnames[0]", "should match")
        add("HTTPRoute", pathMatch("/", "Bogus"), "spec.rules[0].matches[0].path.type", "Unsupported value: \"Bogus\"")
        add("HTTPRoute", route + "rules: [" + Array(repeating: "{}", count: 17).joined(separator: ", ") + "]\n", "spec.rules", "Too many: 17: must have at most 16 items")
        add("HTTPRoute", rule("matches: [" + Array(repeating: "{}", count: 65).joined(separator: ", ") + "]"), "spec.rules[0].matches", "Too many: 65: must have at most 64 items")
        add("HTTPRoute", "parentRefs: [" + (0..<33).map { "{name: gw, sectionName: s\($0)}" }.joined(separator: ", ") + "]\n", "spec.parentRefs", "Too many: 33: must have at most 32 items")
        add("HTTPRoute", route + "hostnames: [" + (0..<17).map { "h\($0).example" }.joined(separator: ", ") + "]\n", "spec.hostnames", "Too many: 17: must have at most 16 items")
        add("HTTPRoute", rule("matches: [{headers: [{name: 'bad header', value: x}]}]"), "spec.rules[0].matches[0].headers[0].name", "should match")
        add("HTTPRoute", rule("matches: [{method: FETCH}]"), "spec.rules[0].matches[0].method", "Unsupported value: \"FETCH\"")
        add("HTTPRoute", rule("backendRefs: [{name: '\(String(repeating: "a", count: 254))', port: 80}]"), "spec.rules[0].backendRefs[0].name", "Too long")
        add("HTTPRoute", rule("backendRefs: [{name: '', port: 80}]"), "spec.rules[0].backendRefs[0].name", "should be at least 1 chars long")
        add("HTTPRoute", rule("backendRefs: [{name: svc, port: 65536}]"), "spec.rules[0].backendRefs[0].port", "should be less than or equal to 65535")
        add("HTTPRoute", rule("backendRefs: [{name: svc, port: 0}]"), "spec.rules[0].backendRefs[0].port", "should be greater than or equal to 1")
        add("HTTPRoute", filter("{type: Teleport}"), "spec.rules[0].filters[0].type", "Unsupported value: \"Teleport\"")
        add("HTTPRoute", filter("{type: RequestRedirect, requestRedirect: {statusCode: 304}}"), "spec.rules[0].filters[0].requestRedirect.statusCode", "Unsupported value: 304")
        add("HTTPRoute", filter("{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: a, value: x}, {name: a, value: y}]}}"), "spec.rules[0].filters[0].requestHeaderModifier.set[1]", "Duplicate value")
        add("HTTPRoute", rule("matches: [{queryParams: [{value: x}]}]"), "spec.rules[0].matches[0].queryParams[0].name", "Required value")
        add("HTTPRoute", rule("timeouts: {request: 10x}\n  \(backend)"), "spec.rules[0].timeouts.request", "should match")
        add("HTTPRoute", rule("backendRefs: [{name: svc, port: 80, kind: 'not a kind'}]"), "spec.rules[0].backendRefs[0].kind", "should match")
        add("HTTPRoute", "parentRefs: [{sectionName: http}]\n", "spec.parentRefs[0].name", "Required value")
        add("HTTPRoute", "parentRefs: [{name: gw, port: 70000}]\n", "spec.parentRefs[0].port", "should be less than or equal to 65535")
        add("HTTPRoute", route + "hostnames: 'not-a-list'\n", "spec.hostnames", "must be of type array")
        // Gateway.
        add("Gateway", "gatewayClassName: sluice\n", "spec.listeners", "Required value")
        add("Gateway", gateway("[]"), "spec.listeners", "should have at least 1 items")
        add("Gateway", "listeners: [\(listener)]\n", "spec.gatewayClassName", "Required value")
        add("Gateway", gateway("[{name: a, protocol: HTTP, port: 80, hostname: a.example}, {name: a, protocol: HTTP, port: 80, hostname: b.example}]"), "spec.listeners", "Listener name must be unique")
        add("Gateway", gateway("[{name: http, protocol: HTTP, port: 80, tls: {mode: Terminate, certificateRefs: [{name: c}]}}]"), "spec.listeners", "tls must not be specified for protocols")
        add("Gateway", gateway("[{name: https, protocol: HTTPS, port: 443, tls: {mode: Passthrough}}]"), "spec.listeners", "tls mode must be Terminate for protocol HTTPS")
        add("Gateway", gateway("[{name: tls, protocol: TLS, port: 443}]"), "spec.listeners", "tls mode must be set for protocol TLS")
        add("Gateway", gateway("[{name: tcp, protocol: TCP, port: 9000, hostname: a.example}]"), "spec.listeners", "hostname must not be specified for protocols")
        add("Gateway", gateway("[{name: a, protocol: HTTP, port: 80}, {name: b, protocol: HTTP, port: 80}]"), "spec.listeners", "Combination of port, protocol and hostname must be unique")
        add("Gateway", gateway("[{name: https, protocol: HTTPS, port: 443, tls: {mode: Terminate}}]"), "spec.listeners[0].tls", "certificateRefs or options must be specified")
        add("Gateway", gateway("[\(listener)]", "addresses: [{type: IPAddress, value: 10.0.0.1}, {type: IPAddress, value: 10.0.0.1}]\n"), "spec.addresses", "IPAddress values must be unique")
        add("Gateway", gateway("[\(listener)]", "addresses: [{type: Hostname, value: a.example}, {type: Hostname, value: a.example}]\n"), "spec.addresses", "Hostname values must be unique")
        add("Gateway", gateway("[\(listener)]", "addresses: [{type: Hostname, value: 'Bad_Host'}]\n"), "spec.addresses[0]", "Hostname value must be empty or contain only valid characters")
        add("Gateway", gateway("[\(listener)]", "addresses: [{type: IPAddress, value: 'not-an-ip'}]\n"), "spec.addresses[0]", "must validate one and only one schema (oneOf)")
        add("Gateway", gateway("[\(listener)]", "infrastructure: {annotations: {'bad key!': x}}\n"), "spec.infrastructure.annotations", "Annotation keys must be in the form")
        add("Gateway", gateway("[\(listener)]", "infrastructure: {labels: {'-bad': x}}\n"), "spec.infrastructure.labels", "Label keys must be in the form")
        add("Gateway", gateway("[\(listener)]", "infrastructure: {annotations: {'\((0..<64).map { _ in "abcd" }.joined(separator: ".")).example/x': y}}\n"), "spec.infrastructure.annotations", "the annotation key's prefix must be a DNS subdomain not longer than 253")
        add("Gateway", gateway("[{name: http, protocol: HTTP, port: 0}]"), "spec.listeners[0].port", "should be greater than or equal to 1")
        add("Gateway", gateway("[{name: http, protocol: 'not valid', port: 80}]"), "spec.listeners[0].protocol", "should match")
        add("Gateway", gateway("[" + (0..<65).map { "{name: l\($0), protocol: HTTP, port: \(1000 + $0)}" }.joined(separator: ", ") + "]"), "spec.listeners", "Too many: 65: must have at most 64 items")
        add("Gateway", gateway("[{name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: Everywhere}}}]"), "spec.listeners[0].allowedRoutes.namespaces.from", "Unsupported value: \"Everywhere\"")
        add("Gateway", gateway("[{name: 'Bad Name', protocol: HTTP, port: 80}]"), "spec.listeners[0].name", "should match")
        add("Gateway", gateway("[{name: http, protocol: HTTP, port: 80, hostname: 'UPPER.example'}]"), "spec.listeners[0].hostname", "should match")
        add("Gateway", gateway("[\(listener)]", "tls: {frontend: {default: {validation: {caCertificateRefs: [{name: ca, kind: ConfigMap, group: ''}]}}, perPort: [{port: 443, tls: {validation: {caCertificateRefs: [{name: ca, kind: ConfigMap, group: ''}]}}}, {port: 443, tls: {validation: {caCertificateRefs: [{name: ca, kind: ConfigMap, group: ''}]}}}]}}\n"), "spec.tls.frontend.perPort", "Port for TLS configuration must be unique")
        // GRPCRoute.
        add("GRPCRoute", grpcRule("backendRefs: [{name: svc}]"), "spec.rules[0].backendRefs[0]", "Must have port for Service reference")
        add("GRPCRoute", grpcRule("matches: [{method: {type: Exact}}]"), "spec.rules[0].matches[0].method", "One or both of 'service' or 'method' must be specified")
        add("GRPCRoute", grpcRule("matches: [{method: {service: 'bad service!'}}]"), "spec.rules[0].matches[0].method", "service must only contain valid characters")
        add("GRPCRoute", grpcRule("matches: [{method: {method: '9bad'}}]"), "spec.rules[0].matches[0].method", "method must only contain valid characters")
        add("GRPCRoute", grpcRule("filters: [{type: RequestHeaderModifier, requestHeaderModifier: \(header)}, {type: RequestHeaderModifier, requestHeaderModifier: \(header)}]"), "spec.rules[0].filters", "RequestHeaderModifier filter cannot be repeated")
        add("GRPCRoute", grpcRule("filters: [{type: ResponseHeaderModifier}]"), "spec.rules[0].filters[0]", "filter.responseHeaderModifier must be specified")
        add("GRPCRoute", grpcRule("filters: [{type: RequestMirror, requestMirror: {backendRef: {name: m, port: 80}, fraction: {numerator: 3, denominator: 2}}}]"), "spec.rules[0].filters[0].requestMirror.fraction", "numerator must be less than or equal to denominator")
        add("GRPCRoute", "parentRefs: [{name: gw}, {name: gw, sectionName: grpc}]\n", "spec.parentRefs", "sectionName must be specified")
        add("GRPCRoute", "parentRefs: [{name: gw}, {name: gw}]\n", "spec.parentRefs", "sectionName must be unique")
        add("GRPCRoute", grpcRoute + "hostnames: ['*.*.example']\n", "spec.hostnames[0]", "should match")
        add("GRPCRoute", grpcRule("matches: [{method: {type: Fuzzy, service: a.B}}]"), "spec.rules[0].matches[0].method.type", "Unsupported value: \"Fuzzy\"")
        // ReferenceGrant.
        add("ReferenceGrant", "to: [{group: '', kind: Service}]\n", "spec.from", "Required value")
        add("ReferenceGrant", "from: []\nto: [{group: '', kind: Service}]\n", "spec.from", "should have at least 1 items")
        add("ReferenceGrant", "from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: apps}]\nto: [{group: ''}]\n", "spec.to[0].kind", "Required value")
        add("ReferenceGrant", "from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: 'Bad_NS'}]\nto: [{group: '', kind: Service}]\n", "spec.from[0].namespace", "should match")
        add("ReferenceGrant", "from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: apps}]\nto: [{group: '', kind: Service, name: ''}]\n", "spec.to[0].name", "should be at least 1 chars long")
        // GatewayClass.
        add("GatewayClass", "description: no controller\n", "spec.controllerName", "Required value")
        add("GatewayClass", "controllerName: 'not a controller'\n", "spec.controllerName", "should match")
        add("GatewayClass", "controllerName: example.com/other\n", "spec.controllerName", "Value is immutable", old: "controllerName: sluice.dev/gateway-controller\n")
        return cases
    }()

    static let valid: [(String, String, String)] = [
        ("HTTPRoute", "weighted blue/green", """
            parentRefs: [{name: gw, namespace: infra, sectionName: https}]
            hostnames: [shop.example.test]
            rules:
            - backendRefs:
              - {name: blue, port: 8080, weight: 90}
              - {name: green, port: 8080, weight: 10}
            """),
        ("HTTPRoute", "HTTP to HTTPS redirect", """
            parentRefs: [{name: gw, sectionName: http}]
            rules:
            - filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]
            """),
        ("HTTPRoute", "header and query matches, rewrite, mirror, timeouts", """
            parentRefs: [{name: gw}]
            rules:
            - matches:
              - path: {type: PathPrefix, value: /api}
                headers: [{name: x-canary, value: "true"}]
                queryParams: [{type: Exact, name: v, value: "2"}]
                method: GET
              filters:
              - {type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}}
              - {type: RequestMirror, requestMirror: {backendRef: {name: shadow, port: 80}, percent: 10}}
              - {type: RequestHeaderModifier, requestHeaderModifier: {add: [{name: x-route, value: api}]}}
              timeouts: {request: 10s, backendRequest: 2s}
              backendRefs: [{name: api, port: 80}]
            """),
        ("HTTPRoute", "cross-namespace backend", """
            parentRefs: [{name: gw, namespace: infra}]
            rules: [{backendRefs: [{name: db, namespace: data, port: 5432}]}]
            """),
        ("Gateway", "HTTPS termination and allowedRoutes with a selector", """
            gatewayClassName: sluice
            listeners:
            - name: http
              protocol: HTTP
              port: 80
            - name: https
              protocol: HTTPS
              port: 443
              hostname: "*.example.test"
              tls: {mode: Terminate, certificateRefs: [{name: example-tls}]}
              allowedRoutes:
                namespaces: {from: Selector, selector: {matchLabels: {shared-gateway: "true"}}}
                kinds: [{kind: HTTPRoute}]
            """),
        ("GRPCRoute", "gRPC service match", """
            parentRefs: [{name: gw}]
            hostnames: [grpc.example.test]
            rules: [{matches: [{method: {service: shop.Cart, method: Add}}], backendRefs: [{name: cart, port: 9000}]}]
            """),
        ("ReferenceGrant", "routes in apps may use Services in data", """
            from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: apps}]
            to: [{group: "", kind: Service}]
            """),
        ("GatewayClass", "Sluice's class", "controllerName: sluice.dev/gateway-controller\n"),
    ]

    static func object(kind: String, spec: String) throws -> Object {
        let indented = spec.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        let version = kind == "ReferenceGrant" ? "v1beta1" : "v1"
        let namespace = kind == "GatewayClass" ? "" : "  namespace: demo\n"
        let text = "apiVersion: gateway.networking.k8s.io/\(version)\nkind: \(kind)\nmetadata:\n  name: test\n\(namespace)spec:\n\(indented)\n"
        return try YAMLDecoder().objects(text, file: "\(kind).yaml")[0]
    }

    static func errors(kind: String, spec: String, oldSpec: String? = nil) throws -> [FieldError] {
        let object = try object(kind: kind, spec: spec)
        let crd = try #require(SharedData.upstreamCRDs[kind], "no upstream CRD for \(kind)")
        let schema = try #require(StructuralSchema.versions(of: crd)[object.version])
        let validator = SchemaValidator()
        let old = try oldSpec.map { validator.applyingDefaults(to: try Self.object(kind: kind, spec: $0).value, schema: schema) }
        return validator.apiServerErrors(validator.applyingDefaults(to: object.value, schema: schema), against: schema, old: old)
    }

    @Test("the corpus covers at least 100 constraints and rules")
    func corpusSize() {
        #expect(Self.invalid.count >= 100)
    }

    @Test("each invalid object is refused, naming the field", arguments: invalid)
    func refused(_ invalid: InvalidCase) throws {
        let errors = try Self.errors(kind: invalid.kind, spec: invalid.spec, oldSpec: invalid.oldSpec)
        let match = errors.first { $0.fieldText == invalid.field && $0.body.contains(invalid.message) }
        #expect(match != nil, "got: \(errors.map(\.description))")
    }

    @Test("valid examples from the Gateway API guides are accepted", arguments: valid.map { "\($0.0): \($0.1)" })
    func accepted(_ name: String) throws {
        let (kind, _, spec) = try #require(Self.valid.first { "\($0.0): \($0.1)" == name }.map { ($0.0, $0.1, $0.2) })
        let errors = try Self.errors(kind: kind, spec: spec)
        #expect(errors.isEmpty, "\(errors.map(\.description))")
    }
}
