import SluiceModel
import Testing

/// The suite's ListenerSet tests whose manifests are in `../shared` (the others build their
/// objects in Go), against real sockets and echo servers.
@Suite("Conformance: ListenerSets")
struct ConformanceListenerSetTests {
    static let infra = "gateway-conformance-infra"

    /// Each listener's attachedRoutes, and whether it is Accepted, Programmed and not Conflicted.
    static func listeners(_ status: ListenerSetStatus?) -> [String: Int] {
        var result: [String: Int] = [:]
        for listener in status?.listeners ?? [] {
            let healthy = listener.conditions.allSatisfy { condition in
                switch condition.type {
                case "Accepted", "Programmed", "ResolvedRefs": condition.status == "True"
                case "Conflicted": condition.status == "False"
                default: true
                }
            }
            result[listener.name] = healthy ? listener.attachedRoutes : -1
        }
        return result
    }

    static func accepted(_ status: ListenerSetStatus?) -> Bool {
        status?.conditions?.contains { $0.type == "Accepted" && $0.status == "True" } == true
            && status?.conditions?.contains { $0.type == "Programmed" && $0.status == "True" } == true
    }

    @Test("ListenerSetHTTPRouting: routes reach the listeners of their own parent only, Gateway or ListenerSet")
    func httpRouting() async throws {
        let env = try await ConformanceEnvironment.start(["listenerset-http-routing.yaml"])
        defer { Task { await env.stop() } }
        #expect(env.gatewayStatus("gateway-with-listener-sets-http-routing")?.attachedListenerSets == 2)
        for route in ["attaches-to-all-listeners", "gateway-route", "gateway-section-route"] {
            #expect(env.routeConditions(route, parent: "gateway-with-listener-sets-http-routing")["Accepted"]?.status == "True", "\(route)")
        }
        for route in ["attaches-to-all-listeners", "listener-set-http-routing-1-route", "listener-set-http-routing-1-section-route"] {
            #expect(env.routeConditions(route, parent: "listener-set-http-routing-1", kind: "ListenerSet")["Accepted"]?.status == "True", "\(route)")
        }
        let first = env.listenerSetStatus("listener-set-http-routing-1")
        #expect(Self.accepted(first))
        #expect(Self.listeners(first) == ["listener-set-http-routing-1-listener-1": 3, "listener-set-http-routing-1-listener-2": 2])
        let second = env.listenerSetStatus("listener-set-http-routing-2")
        #expect(Self.accepted(second))
        #expect(Self.listeners(second) == ["listener-set-http-routing-2-listener-1": 2, "listener-set-http-routing-2-listener-2": 2])

        let gatewayHosts = ["gateway-listener-1.com", "gateway-listener-2.com"]
        let setHosts = ["listener-set-http-routing-1-listener-1.com", "listener-set-http-routing-1-listener-2.com",
                        "listener-set-http-routing-2-listener-1.com", "listener-set-http-routing-2-listener-2.com"]
        var cases = (gatewayHosts + setHosts).map { Case(host: $0, path: "/route", backend: "infra-backend-v1") }
        cases += gatewayHosts.map { Case(host: $0, path: "/gateway-route", backend: "infra-backend-v2") }
        cases += setHosts.map { Case(host: $0, path: "/gateway-route", status: 404) }
        cases.append(Case(host: "gateway-listener-1.com", path: "/gateway-section-route", backend: "infra-backend-v3"))
        cases += (["gateway-listener-2.com"] + setHosts).map { Case(host: $0, path: "/gateway-section-route", status: 404) }
        try await env.expect(cases)
    }

    @Test("ListenerSetAllowedRoutesNamespaces: Same is the ListenerSet's namespace, Selector its labels, All any")
    func allowedRoutesNamespaces() async throws {
        let env = try await ConformanceEnvironment.start(["listenerset-allowed-routes-namespaces.yaml"])
        defer { Task { await env.stop() } }
        #expect(env.gatewayStatus("gateway-with-listener-sets-test-allowed-routes")?.attachedListenerSets == 2)
        let same = env.listenerSetStatus("listenerset-test-allowed-routes-namespaces")
        #expect(Self.accepted(same))
        #expect(Self.listeners(same) == [
            "listener-set-listener-allowed-routes-all": 3, "listener-set-listener-allowed-routes-same": 1,
            "listener-set-listener-allowed-routes-selector": 1,
        ])
        let all = "listener-set-listener-allowed-routes-all.com"
        let sameHost = "listener-set-listener-allowed-routes-same.com"
        let selector = "listener-set-listener-allowed-routes-selector.com"
        try await env.expect([
            Case(host: all, path: "/route-in-same-namespace", backend: "infra-backend-v1"),
            Case(host: all, path: "/route-in-selected-namespace", backend: "infra-backend-v2"),
            Case(host: all, path: "/route-not-in-selected-namespace", backend: "infra-backend-v3"),
            Case(host: sameHost, path: "/route-in-same-namespace", backend: "infra-backend-v1"),
            Case(host: sameHost, path: "/route-in-selected-namespace", status: 404),
            Case(host: sameHost, path: "/route-not-in-selected-namespace", status: 404),
            Case(host: selector, path: "/route-in-same-namespace", status: 404),
            Case(host: selector, path: "/route-in-selected-namespace", backend: "infra-backend-v2"),
            Case(host: selector, path: "/route-not-in-selected-namespace", status: 404),
        ])

        // In another namespace, Same means the ListenerSet's.
        let crossNamespace = "gateway-api-ls-cross-ns"
        let cross = env.listenerSetStatus("listenerset-test-allowed-routes-cross-ns", namespace: crossNamespace)
        #expect(Self.accepted(cross))
        #expect(Self.listeners(cross) == ["listener-set-listener-allowed-routes-cross-ns-same": 1])
        #expect(env.routeConditions(
            "route-in-listenerset-namespace", namespace: crossNamespace, parent: "listenerset-test-allowed-routes-cross-ns",
            kind: "ListenerSet")["Accepted"]?.status == "True")
        let refused = env.routeConditions("route-in-gateway-namespace", parent: "listenerset-test-allowed-routes-cross-ns", kind: "ListenerSet")
        #expect(refused["Accepted"]?.status == "False")
        #expect(refused["Accepted"]?.reason == "NotAllowedByListeners")
        let crossHost = "listener-set-listener-allowed-routes-cross-ns-same.com"
        try await env.expect([
            Case(host: crossHost, path: "/route-in-listenerset-namespace", backend: "infra-backend-v1"),
            Case(host: crossHost, path: "/route-in-gateway-namespace", status: 404),
        ])
    }

    @Test("ListenerSetDualParentRefIndependence: a route's Gateway and ListenerSet parents are judged apart")
    func dualParentRefs() async throws {
        let env = try await ConformanceEnvironment.start(["listenerset-dual-parentref-independence.yaml"])
        defer { Task { await env.stop() } }
        #expect(env.gatewayStatus("gateway-dual-parentref")?.attachedListenerSets == 1)
        #expect(Self.listeners(env.listenerSetStatus("ls-dual-parentref")) == ["ls-dual-parentref-listener": 2])
        #expect(env.routeConditions("route-dual-parentref-both", parent: "gateway-dual-parentref")["Accepted"]?.status == "True")
        #expect(env.routeConditions("route-dual-parentref-both", parent: "ls-dual-parentref", kind: "ListenerSet")["Accepted"]?.status == "True")
        let viaGateway = env.routeConditions("route-dual-parentref-one", parent: "gateway-dual-parentref")
        #expect(viaGateway["Accepted"]?.status == "False")
        #expect(viaGateway["Accepted"]?.reason == "NoMatchingParent")
        #expect(env.routeConditions("route-dual-parentref-one", parent: "ls-dual-parentref", kind: "ListenerSet")["Accepted"]?.status == "True")
        try await env.expect([
            Case(host: "gw-dual.com", path: "/dualboth", backend: "infra-backend-v1"),
            Case(host: "ls-dual.com", path: "/dualboth", backend: "infra-backend-v1"),
            Case(host: "ls-dual.com", path: "/dualone", backend: "infra-backend-v2"),
            Case(host: "gw-dual.com", path: "/dualone", status: 404),
        ])
    }

    @Test("ListenerSetGatewayParentSectionNameNotFound: a Gateway parentRef cannot name a ListenerSet's listener")
    func sectionNameViaGateway() async throws {
        let env = try await ConformanceEnvironment.start(["listenerset-gateway-parent-section-name-not-found.yaml"])
        defer { Task { await env.stop() } }
        #expect(env.gatewayStatus("gateway-section-name")?.attachedListenerSets == 1)
        #expect(env.routeConditions("route-via-listenerset", parent: "listenerset-section-name", kind: "ListenerSet")["Accepted"]?.status == "True")
        let viaGateway = env.routeConditions("route-via-gateway", parent: "gateway-section-name")
        #expect(viaGateway["Accepted"]?.status == "False")
        #expect(viaGateway["Accepted"]?.reason == "NoMatchingParent")
        try await env.expect([
            Case(host: "ls-section-name.com", path: "/goodsection", backend: "infra-backend-v1"),
            Case(host: "gw-section.com", path: "/badsection", status: 404),
        ])
    }
}
