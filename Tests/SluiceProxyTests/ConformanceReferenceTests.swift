import Testing

@Suite("Conformance: references and invalid backends")
struct ConformanceReferenceTests {
    @Test("HTTPRouteCrossNamespace: a route in a selected namespace attaches to backend-namespaces")
    func crossNamespace() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-cross-namespace.yaml"])
        defer { Task { await env.stop() } }
        try await env.expect([Case(path: "/", backend: "web-backend", namespace: "gateway-conformance-web-backend")])
        #expect(env.routeConditions("cross-namespace", namespace: "gateway-conformance-web-backend")["Accepted"]?.status == "True")
    }

    @Test("HTTPRouteReferenceGrant: a granted cross-namespace backendRef is served")
    func referenceGrant() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-reference-grant.yaml"])
        defer { Task { await env.stop() } }
        try await env.expect([Case(path: "/", backend: "web-backend", namespace: "gateway-conformance-web-backend")])
        #expect(env.routeConditions("reference-grant")["ResolvedRefs"]?.status == "True")
    }

    @Test("HTTPRouteInvalidCrossNamespaceBackendRef: without a grant, RefNotPermitted and 500")
    func crossNamespaceWithoutGrant() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-invalid-cross-namespace-backend-ref.yaml"])
        defer { Task { await env.stop() } }
        let conditions = env.routeConditions("invalid-cross-namespace-backend-ref")
        #expect(conditions["Accepted"]?.status == "True")
        #expect(conditions["ResolvedRefs"]?.status == "False")
        #expect(conditions["ResolvedRefs"]?.reason == "RefNotPermitted")
        try await env.expect([Case(path: "/", status: 500)])
        #expect(env.echo("web-backend", namespace: "gateway-conformance-web-backend")?.requests.isEmpty == true)
    }

    @Test("HTTPRouteInvalidNonExistentBackendRef: BackendNotFound and 500")
    func nonexistentBackend() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-invalid-nonexistent-backendref.yaml"])
        defer { Task { await env.stop() } }
        let conditions = env.routeConditions("invalid-nonexistent-backend-ref")
        #expect(conditions["ResolvedRefs"]?.status == "False")
        #expect(conditions["ResolvedRefs"]?.reason == "BackendNotFound")
        try await env.expect([Case(path: "/", status: 500)])
    }

    @Test("HTTPRouteInvalidBackendRefUnknownKind: InvalidKind and 500")
    func unknownKind() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-invalid-backendref-unknown-kind.yaml"])
        defer { Task { await env.stop() } }
        let conditions = env.routeConditions("invalid-backend-ref-unknown-kind")
        #expect(conditions["ResolvedRefs"]?.status == "False")
        #expect(conditions["ResolvedRefs"]?.reason == "InvalidKind")
        try await env.expect([Case(path: "/", status: 500)])
    }

    @Test("HTTPRoutePartiallyInvalidViaInvalidReferenceGrant: the valid rule still serves")
    func partiallyInvalid() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-partially-invalid-via-invalid-reference-grant.yaml"])
        defer { Task { await env.stop() } }
        let conditions = env.routeConditions("invalid-reference-grant")
        #expect(conditions["ResolvedRefs"]?.reason == "RefNotPermitted")
        try await env.expect([
            Case(path: "/v2", status: 500),
            Case(path: "/", backend: "app-backend-v1", namespace: "gateway-conformance-app-backend"),
        ])
    }

    @Test("HTTPRouteInvalidParentRefNotMatchingListenerPort / SectionName: NoMatchingParent")
    func parentRefMismatch() async throws {
        let env = try await ConformanceEnvironment.start([
            "httproute-invalid-parentref-not-matching-listener-port.yaml",
            "httproute-invalid-parentref-not-matching-section-name.yaml",
        ])
        defer { Task { await env.stop() } }
        #expect(env.routeConditions("httproute-listener-not-matching-route-port")["Accepted"]?.reason == "NoMatchingParent")
        #expect(env.routeConditions("httproute-listener-not-matching-section-name")["Accepted"]?.reason == "NoMatchingParent")
    }

    @Test("HTTPRouteInvalidCrossNamespaceParentRef: NotAllowedByListeners")
    func parentNotAllowed() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-invalid-cross-namespace-parent-ref.yaml"])
        defer { Task { await env.stop() } }
        let conditions = env.routeConditions("invalid-cross-namespace-parent-ref", namespace: "gateway-conformance-web-backend")
        #expect(conditions["Accepted"]?.status == "False")
        #expect(conditions["Accepted"]?.reason == "NotAllowedByListeners")
    }
}
