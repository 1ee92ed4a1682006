import SluiceModel
import SluiceProxy
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

    @Test("HTTPRouteInvalidReferenceGrant: grants that miss in namespace, group, kind or name permit nothing")
    func invalidReferenceGrant() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-invalid-reference-grant.yaml"])
        defer { Task { await env.stop() } }
        let conditions = env.routeConditions("reference-grant")
        #expect(conditions["Accepted"]?.status == "True")
        #expect(conditions["ResolvedRefs"]?.status == "False")
        #expect(conditions["ResolvedRefs"]?.reason == "RefNotPermitted")
        try await env.expect([Case(path: "/", status: 500)])
        #expect(env.echo("web-backend", namespace: "gateway-conformance-web-backend")?.requests.isEmpty == true)
    }

    @Test("HTTPRouteOmittedBackendRefs: a rule without backendRefs, or with an empty list, answers 500")
    func omittedBackendRefs() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-omitted-backendrefs.yaml"])
        defer { Task { await env.stop() } }
        #expect(env.routeConditions("omitted-backendrefs")["Accepted"]?.status == "True")
        #expect(env.routeConditions("omitted-backendrefs")["ResolvedRefs"]?.status == "True")
        try await env.expect([
            Case(path: "/forward", backend: "infra-backend-v1"),
            Case(path: "/omitted-no-forward", status: 500),
            Case(path: "/empty-no-forward", status: 500),
        ])
    }

    @Test("HTTPRouteDisallowedKind: a listener that allows only TLSRoutes takes no HTTPRoute")
    func disallowedKind() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-disallowed-kind.yaml"])
        defer { Task { await env.stop() } }
        let conditions = env.routeConditions("disallowed-kind")
        #expect(conditions["ResolvedRefs"]?.status == "True")
        #expect(conditions["Accepted"]?.status == "False")
        #expect(conditions["Accepted"]?.reason == "NotAllowedByListeners")
        #expect(env.routeParentCount("disallowed-kind") <= 1)
        #expect(env.attachedRoutes(gateway: "tlsroutes-only") == ["tls": 0])
    }

    @Test("HTTPRouteInvalidParentRefSectionNameNotMatchingPort: a sectionName whose listener has another port")
    func sectionNameNotMatchingPort() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-invalid-parentref-section-name-not-matching-port.yaml"])
        defer { Task { await env.stop() } }
        let route = "httproute-listener-section-name-not-matching-port"
        #expect(env.routeConditions(route)["Accepted"]?.status == "False")
        #expect(env.routeConditions(route)["Accepted"]?.reason == "NoMatchingParent")
        #expect(env.routeParentCount(route) <= 1)
        #expect(env.attachedRoutes(gateway: "gateway-with-one-not-matching-port-and-section-name-route") == ["http": 0])
    }

    @Test("HTTPRouteServiceTypes: headless Services and Services with EndpointSlices made by hand")
    func serviceTypes() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-service-types.yaml"]) { input in
            // As the suite does: the hand-made IPv4 slices get infra-backend-v1's pods (the IPv6
            // ones stay empty), and the headless Service with a selector gets the slice the
            // EndpointSlice controller would make for those pods. No echo of their own answers.
            let serviceNames = ["manual-endpointslices", "headless", "headless-manual-endpointslices"]
            let backend = input.endpointSlices.first { $0.metadata.name == "infra-backend-v1-slice" }
            let backendPort = backend?.ports?.first?.port ?? 0
            input.endpointSlices.removeAll { serviceNames.map { "\($0)-slice" }.contains($0.metadata.name) }
            for index in input.endpointSlices.indices where input.endpointSlices[index].metadata.name.hasSuffix("-ip4") {
                input.endpointSlices[index].endpoints = backend?.endpoints
                input.endpointSlices[index].ports = input.endpointSlices[index].ports?.map { EndpointSlice.Port(name: $0.name, port: backendPort) }
            }
            input.endpointSlices.append(EndpointSlice(
                metadata: ObjectMeta(name: "headless-abcde", namespace: "gateway-conformance-infra", labels: [EndpointSlice.serviceNameLabel: "headless"]),
                endpoints: backend?.endpoints ?? [], ports: [EndpointSlice.Port(name: "first-port", port: backendPort)]))
        }
        defer { Task { await env.stop() } }
        #expect(env.routeConditions("service-types")["ResolvedRefs"]?.status == "True")
        try await env.expect([
            Case(path: "/manual-endpointslices", backend: "infra-backend-v1"),
            Case(path: "/headless", backend: "infra-backend-v1"),
            Case(path: "/headless-manual-endpointslices", backend: "infra-backend-v1"),
        ])
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
