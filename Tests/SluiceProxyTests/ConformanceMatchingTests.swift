import Testing

/// HTTPRoute matching from the Gateway API v1.6.1 conformance suite, against real sockets:
/// the upstream manifests, the proxy, and echo backends on 127.0.0.1.
@Suite("Conformance: matching")
struct ConformanceMatchingTests {
    @Test("HTTPRouteMatching: path prefix or header, ORed matches")
    func matching() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-matching.yaml"])
        defer { Task { await env.stop() } }
        try await env.expect([
            Case(path: "/", backend: "infra-backend-v1"),
            Case(path: "/example", backend: "infra-backend-v1"),
            Case(path: "/", headers: [("Version", "one")], backend: "infra-backend-v1"),
            Case(path: "/v2", backend: "infra-backend-v2"),
            Case(path: "/v2/example", backend: "infra-backend-v2"),
            Case(path: "/", headers: [("Version", "two")], backend: "infra-backend-v2"),
            Case(path: "/v2example", backend: "infra-backend-v1"),
            Case(path: "/foo/v2/example", backend: "infra-backend-v1"),
        ])
    }

    @Test("HTTPRouteExactPathMatching")
    func exactPath() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-exact-path-matching.yaml"])
        defer { Task { await env.stop() } }
        try await env.expect([
            Case(path: "/one", backend: "infra-backend-v1"),
            Case(path: "/two", backend: "infra-backend-v2"),
            Case(path: "/", status: 404),
            Case(path: "/one/example", status: 404),
            Case(path: "/two/", status: 404),
        ])
    }

    @Test("HTTPRouteNamedRule: rules with and without a name both serve")
    func namedRule() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-named-rule.yaml"])
        defer { Task { await env.stop() } }
        #expect(env.routeConditions("http-named-rules")["Accepted"]?.status == "True")
        #expect(env.routeConditions("http-named-rules")["ResolvedRefs"]?.status == "True")
        try await env.expect([
            Case(path: "/named", backend: "infra-backend-v1"),
            Case(path: "/unnamed", backend: "infra-backend-v2"),
        ])
    }

    @Test("HTTPRoutePathMatchOrder: exact beats prefix, longer prefix beats shorter")
    func pathMatchOrder() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-path-match-order.yaml"])
        defer { Task { await env.stop() } }
        try await env.expect([
            Case(path: "/match/exact/one", backend: "infra-backend-v3"),
            Case(path: "/match/exact", backend: "infra-backend-v2"),
            Case(path: "/match", backend: "infra-backend-v1"),
            Case(path: "/match/prefix/one/any", backend: "infra-backend-v2"),
            Case(path: "/match/prefix/any", backend: "infra-backend-v1"),
            Case(path: "/match/any", backend: "infra-backend-v3"),
        ])
    }

    @Test("HTTPRouteHeaderMatching: exact header values, case-insensitive names, ANDed within a match")
    func headers() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-header-matching.yaml"])
        defer { Task { await env.stop() } }
        try await env.expect([
            Case(headers: [("Version", "one")], backend: "infra-backend-v1"),
            Case(headers: [("Version", "two")], backend: "infra-backend-v2"),
            Case(headers: [("Version", "two"), ("Color", "orange")], backend: "infra-backend-v1"),
            Case(headers: [("Color", "blue")], backend: "infra-backend-v1"),
            Case(headers: [("Color", "green")], backend: "infra-backend-v1"),
            Case(headers: [("Color", "red")], backend: "infra-backend-v2"),
            Case(headers: [("Color", "yellow")], backend: "infra-backend-v2"),
            Case(headers: [("version", "one")], backend: "infra-backend-v1"),
            Case(headers: [("Version", "four")], status: 404),
            Case(headers: [("Color", "purple")], status: 404),
            Case(headers: [("Version", "ONE")], status: 404),
        ])
    }

    @Test("HTTPRouteQueryParamMatching")
    func queryParams() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-query-param-matching.yaml"])
        defer { Task { await env.stop() } }
        try await env.expect([
            Case(path: "/?animal=whale", backend: "infra-backend-v1"),
            Case(path: "/?animal=dolphin", backend: "infra-backend-v2"),
            Case(path: "/?animal=dolphin&color=blue", backend: "infra-backend-v3"),
            Case(path: "/?ANIMAL=Whale", backend: "infra-backend-v3"),
            Case(path: "/?animal=whale&otherparam=irrelevant", backend: "infra-backend-v1"),
            Case(path: "/?animal=dolphin&color=yellow", backend: "infra-backend-v2"),
            Case(path: "/?color=blue", status: 404),
            Case(path: "/?animal=dog", status: 404),
            Case(path: "/?animal=whaledolphin", status: 404),
            Case(path: "/", status: 404),
            Case(path: "/path1?animal=whale", backend: "infra-backend-v1"),
            Case(path: "/?animal=whale", headers: [("version", "one")], backend: "infra-backend-v2"),
            Case(path: "/path2?animal=whale", headers: [("version", "two")], backend: "infra-backend-v3"),
            Case(path: "/path3?animal=shark", backend: "infra-backend-v1"),
            Case(path: "/path4?animal=kraken", headers: [("version", "three")], backend: "infra-backend-v1"),
            Case(path: "/?animal=shark", status: 404),
            Case(path: "/path4?animal=kraken", status: 404),
            Case(path: "/path5?animal=hydra", backend: "infra-backend-v1"),
            Case(path: "/?animal=hydra", headers: [("version", "four")], backend: "infra-backend-v3"),
        ])
    }

    @Test("HTTPRouteMethodMatching: method beats header count in precedence")
    func methods() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-method-matching.yaml"])
        defer { Task { await env.stop() } }
        try await env.expect([
            Case(method: .POST, backend: "infra-backend-v1"),
            Case(method: .GET, backend: "infra-backend-v2"),
            Case(method: .HEAD, status: 404),
            Case(path: "/path1", method: .GET, backend: "infra-backend-v1"),
            Case(method: .PUT, headers: [("version", "one")], backend: "infra-backend-v2"),
            Case(path: "/path2", method: .POST, headers: [("version", "two")], backend: "infra-backend-v3"),
            Case(path: "/path3", method: .PATCH, backend: "infra-backend-v1"),
            Case(path: "/path4", method: .DELETE, headers: [("version", "three")], backend: "infra-backend-v1"),
            Case(method: .PUT, status: 404),
            Case(path: "/path4", method: .DELETE, status: 404),
            Case(path: "/path5", method: .PATCH, backend: "infra-backend-v1"),
            Case(method: .PATCH, headers: [("version", "four")], backend: "infra-backend-v2"),
        ])
    }

    @Test("HTTPRouteMatchingAcrossRoutes: precedence across two routes on shared hostnames")
    func acrossRoutes() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-matching-across-routes.yaml"])
        defer { Task { await env.stop() } }
        try await env.expect([
            Case(host: "example.com", path: "/", backend: "infra-backend-v1"),
            Case(host: "example.com", path: "/example", backend: "infra-backend-v1"),
            Case(host: "example.net", path: "/example", backend: "infra-backend-v1"),
            Case(host: "example.com", path: "/", headers: [("Version", "one")], backend: "infra-backend-v1"),
            Case(host: "example.com", path: "/v2", backend: "infra-backend-v2"),
            Case(host: "example.com", path: "/v2/example", backend: "infra-backend-v2"),
            Case(host: "example.com", path: "/", headers: [("Version", "two")], backend: "infra-backend-v2"),
            Case(host: "example.net", path: "/v2", backend: "infra-backend-v1"),
            Case(host: "example.net", path: "/", headers: [("Version", "two")], backend: "infra-backend-v1"),
        ])
    }
}
