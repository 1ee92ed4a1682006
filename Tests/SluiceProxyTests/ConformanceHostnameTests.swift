import SluiceModel
import Testing

@Suite("Conformance: hostnames")
struct ConformanceHostnameTests {
    /// The suite's cases for `httproute-hostname-intersection.yaml`.
    static let intersectionCases: [Case] = [
        Case(host: "very.specific.com", path: "/s1", backend: "infra-backend-v1"),
        Case(host: "very.specific.com:1234", path: "/s1", backend: "infra-backend-v1"),
        Case(host: "non.matching.com", path: "/s1", status: 404),
        Case(host: "foo.nonmatchingwildcard.io", path: "/s1", status: 404),
        Case(host: "foo.wildcard.io", path: "/s1", status: 404),
        Case(host: "very.specific.com", path: "/non-matching-prefix", status: 404),
        Case(host: "foo.wildcard.io", path: "/s2", backend: "infra-backend-v2"),
        Case(host: "bar.wildcard.io", path: "/s2", backend: "infra-backend-v2"),
        Case(host: "foo.bar.wildcard.io", path: "/s2", backend: "infra-backend-v2"),
        Case(host: "non.matching.com", path: "/s2", status: 404),
        Case(host: "wildcard.io", path: "/s2", status: 404),
        Case(host: "very.specific.com", path: "/s2", status: 404),
        Case(host: "foo.wildcard.io", path: "/non-matching-prefix", status: 404),
        Case(host: "very.specific.com", path: "/s3", backend: "infra-backend-v3"),
        Case(host: "non.matching.com", path: "/s3", status: 404),
        Case(host: "foo.specific.com", path: "/s3", status: 404),
        Case(host: "foo.wildcard.io", path: "/s3", status: 404),
        Case(host: "foo.anotherwildcard.io", path: "/s4", backend: "infra-backend-v1"),
        Case(host: "bar.anotherwildcard.io", path: "/s4", backend: "infra-backend-v1"),
        Case(host: "foo.bar.anotherwildcard.io", path: "/s4", backend: "infra-backend-v1"),
        Case(host: "anotherwildcard.io", path: "/s4", status: 404),
        Case(host: "foo.wildcard.io", path: "/s4", status: 404),
        Case(host: "very.specific.com", path: "/s4", status: 404),
        Case(host: "specific.but.wrong.com", path: "/s5", status: 404),
        Case(host: "wildcard.io", path: "/s5", status: 404),
        Case(host: "first.com", backend: "infra-backend-v2"),
        Case(host: "sub.first.com", backend: "infra-backend-v2"),
        Case(host: "second.com", backend: "infra-backend-v2"),
        Case(host: "sub.second.com", backend: "infra-backend-v2"),
        Case(host: "third.com", status: 404),
        Case(host: "sub.third.com", status: 404),
    ]

    @Test("a kept-alive connection routes each request by its own Host, not by the one before")
    func hostPerRequestOnOneConnection() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-hostname-intersection.yaml"])
        defer { Task { await env.stop() } }
        let connection = try await TestConnection.connect(port: await env.port())
        defer { Task { await connection.close() } }
        // Interleaved so that consecutive requests change host, and come back to one seen before.
        let cases = Self.intersectionCases
        let interleaved = zip(cases, cases.reversed()).flatMap { [$0, $1] }
        try await env.expect(interleaved, over: .keptAlive(connection))
    }

    @Test("HTTPRouteHostnameIntersection: routes answer only for the intersection with their listener")
    func intersection() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-hostname-intersection.yaml"])
        defer { Task { await env.stop() } }
        try await env.expect(Self.intersectionCases)
        let rejected = env.routeConditions("no-intersecting-hosts")
        #expect(rejected["Accepted"]?.status == "False")
        #expect(rejected["Accepted"]?.reason == "NoMatchingListenerHostname")
        for name in ["specific-host-matches-listener-specific-host", "wildcard-host-matches-listener-wildcard-host"] {
            #expect(env.routeConditions(name)["Accepted"]?.status == "True", "\(name)")
            #expect(env.routeConditions(name)["ResolvedRefs"]?.status == "True", "\(name)")
        }
        let gateway = ObjectReference(
            apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: "gateway-conformance-infra",
            name: "httproute-hostname-intersection")
        let listeners = env.output.statuses[gateway]?.objectValue?["listeners"]?.arrayValue ?? []
        let attached = listeners.compactMap { $0.objectValue }.map { ($0["name"]?.stringValue ?? "", $0["attachedRoutes"]?.integerValue ?? -1) }
        #expect(attached.map(\.0) == ["listener-1", "listener-2", "listener-3"])
        #expect(attached.map(\.1) == [2, 1, 1])
    }

    @Test(
        "GatewayHTTPListenerIsolation: a request reaches only the routes of the most specific listener for its host",
        arguments: ["gateway-http-listener-isolation.yaml", "gateway-http-listener-isolation-with-hostname-intersection.yaml"])
    func listenerIsolation(manifest: String) async throws {
        let env = try await ConformanceEnvironment.start([manifest])
        defer { Task { await env.stop() } }
        let hosts = ["bar.com", "bar.example.com", "bar.foo.example.com", "abc.foo.example.com"]
        let paths = ["/empty-hostname", "/wildcard-example-com", "/wildcard-foo-example-com", "/abc-foo-example-com"]
        var cases: [Case] = []
        for (hostIndex, host) in hosts.enumerated() {
            for (pathIndex, path) in paths.enumerated() {
                cases.append(hostIndex == pathIndex
                    ? Case(host: host, path: path, backend: "infra-backend-v1")
                    : Case(host: host, path: path, status: 404))
            }
        }
        try await env.expect(cases)
    }

    @Test("HTTPRouteListenerPortMatching: parentRef ports pick the listeners, hostnames within a port still apply")
    func listenerPortMatching() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-listener-port-matching.yaml"])
        defer { Task { await env.stop() } }
        for route in ["backend-v1", "backend-v2", "backend-v3"] {
            #expect(env.routeConditions(route)["Accepted"]?.status == "True", "\(route)")
        }
        try await env.expect([Case(host: "foo.com", backend: "infra-backend-v1")], listenerPort: 80)
        try await env.expect([
            Case(host: "foo.com:8080", backend: "infra-backend-v2"),
            Case(host: "bar.com:8080", backend: "infra-backend-v2"),
        ], listenerPort: 8080)
        try await env.expect([
            Case(host: "foo.com:8090", backend: "infra-backend-v3"),
            Case(host: "bar.com:8090", status: 404),
        ], listenerPort: 8090)
        let attached = env.attachedRoutes(gateway: "httproute-listener-port-matching")
        #expect(attached == ["listener-1": 1, "listener-2": 1, "listener-3": 1, "listener-4": 1, "listener-5": 0])
    }

    @Test("HTTPRouteListenerHostnameMatching: the most specific listener hostname wins")
    func listenerHostnames() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-listener-hostname-matching.yaml"])
        defer { Task { await env.stop() } }
        try await env.expect([
            Case(host: "bar.com", backend: "infra-backend-v1"),
            Case(host: "foo.bar.com", backend: "infra-backend-v2"),
            Case(host: "baz.bar.com", backend: "infra-backend-v3"),
            Case(host: "boo.bar.com", backend: "infra-backend-v3"),
            Case(host: "multiple.prefixes.bar.com", backend: "infra-backend-v3"),
            Case(host: "multiple.prefixes.foo.com", backend: "infra-backend-v3"),
            Case(host: "foo.com", status: 404),
            Case(host: "no.matching.host", status: 404),
        ])
    }
}
