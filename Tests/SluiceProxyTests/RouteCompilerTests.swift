import NIOHTTP1
import SluiceModel
import Testing

@testable import SluiceProxy

/// The route compiler on its own: no sockets, only values.
@Suite("Route compiler")
struct RouteCompilerTests {
    static let infra = "gateway-conformance-infra"

    static func input(_ files: [String]) throws -> ProxyInput {
        var input = try ProxyInput(objects: try ConformanceManifests.objects(files))
        input.gatewayClasses.append(GatewayClass(
            apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: ObjectMeta(name: "sluice"),
            spec: GatewayClassSpec(controllerName: RouteCompiler.defaultControllerName)))
        return input
    }

    func decide(_ table: RouteTable, host: String, path: String, method: String = "GET", headers: [(String, String)] = []) -> CompiledRule? {
        guard case .matched(let rule, _, _, _) = table.decide(port: 80, host: host, method: method, uri: path, headers: HTTPHeaders(headers)) else {
            return nil
        }
        return rule
    }

    @Test("hostname intersection: exact, wildcard on either side, none")
    func hostnameIntersection() {
        func intersect(_ listener: String?, _ route: String) -> String? {
            Hostname.intersection(listener: listener.map(Hostname.init), route: Hostname(route))?.value
        }
        #expect(intersect(nil, "foo.com") == "foo.com")
        #expect(intersect("foo.com", "foo.com") == "foo.com")
        #expect(intersect("foo.com", "bar.com") == nil)
        #expect(intersect("*.example.com", "a.example.com") == "a.example.com")
        #expect(intersect("*.example.com", "a.b.example.com") == "a.b.example.com")
        #expect(intersect("*.example.com", "example.com") == nil)
        #expect(intersect("a.example.com", "*.example.com") == "a.example.com")
        #expect(intersect("*.example.com", "*.b.example.com") == "*.b.example.com")
        #expect(intersect("*.b.example.com", "*.example.com") == "*.b.example.com")
        #expect(intersect("*.example.com", "*.other.com") == nil)
        #expect(Hostname("Foo.COM").matches(host: "foo.com"))
    }

    @Test("host normalisation drops the port and the trailing dot, keeps IPv6 brackets")
    func normalize() {
        #expect(RouteTable.normalize(host: "Example.COM:8080") == "example.com")
        #expect(RouteTable.normalize(host: "example.com.") == "example.com")
        #expect(RouteTable.normalize(host: "[::1]:80") == "[::1]")
    }

    @Test("Gateway API durations")
    func durations() {
        #expect(GatewayDuration.parse("500ms") == .milliseconds(500))
        #expect(GatewayDuration.parse("1h30m") == .seconds(5400))
        #expect(GatewayDuration.parse("10s") == .seconds(10))
        #expect(GatewayDuration.parse("0s") == .zero)
        #expect(GatewayDuration.parse("1.5s") == nil)
        #expect(GatewayDuration.parse("s") == nil)
        #expect(GatewayDuration.parse("") == nil)
        #expect(GatewayDuration.parse("1h1m1s1ms1h") == nil)
    }

    @Test("precedence: exact, longest prefix, method, headers, query, then age and name")
    func precedence() throws {
        let table = RouteCompiler().compile(try Self.input(["httproute-path-match-order.yaml"])).table
        #expect(decide(table, host: "x", path: "/match/exact/one")?.ruleIndex == 2)
        #expect(decide(table, host: "x", path: "/match/prefix/one/x")?.ruleIndex == 5)
        #expect(decide(table, host: "x", path: "/match/prefix/x")?.ruleIndex == 4)
        #expect(decide(table, host: "x", path: "/match/x")?.ruleIndex == 3)
        #expect(decide(table, host: "x", path: "/matchx") == nil)
    }

    @Test("ties across routes go to the older route, then to namespace/name")
    func ageAndName() throws {
        var input = try Self.input([])
        for (name, created) in [("b-route", "2026-01-01T00:00:00Z"), ("a-route", "2026-02-01T00:00:00Z"), ("c-route", "2026-01-01T00:00:00Z")] {
            var metadata = ObjectMeta(name: name, namespace: Self.infra)
            metadata.creationTimestamp = created
            input.httpRoutes.append(HTTPRoute(
                apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: metadata,
                spec: HTTPRouteSpec(parentRefs: [ParentReference(name: "same-namespace")], rules: [
                    HTTPRouteRule(matches: [HTTPRouteMatch(path: .init(type: "PathPrefix", value: "/"))],
                                  backendRefs: [HTTPBackendRef(name: "infra-backend-v1", port: 8080)]),
                ])))
        }
        let table = RouteCompiler().compile(input).table
        #expect(decide(table, host: "x", path: "/")?.route == "\(Self.infra)/b-route")
    }

    @Test("regular expressions: path, header and query values must match whole")
    func regularExpressions() throws {
        var input = try Self.input([])
        var match = HTTPRouteMatch(path: .init(type: "RegularExpression", value: "/v[0-9]+/.*"))
        match.headers = [HeaderMatch(type: "RegularExpression", name: "X-Tenant", value: "team-[a-z]+")]
        input.httpRoutes.append(HTTPRoute(
            apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: ObjectMeta(name: "regex", namespace: Self.infra),
            spec: HTTPRouteSpec(parentRefs: [ParentReference(name: "same-namespace")], rules: [
                HTTPRouteRule(matches: [match], backendRefs: [HTTPBackendRef(name: "infra-backend-v1", port: 8080)]),
            ])))
        let table = RouteCompiler().compile(input).table
        #expect(decide(table, host: "x", path: "/v12/items", headers: [("x-tenant", "team-blue")]) != nil)
        #expect(decide(table, host: "x", path: "/v12/items", headers: [("x-tenant", "team-blue2")]) == nil)
        #expect(decide(table, host: "x", path: "/api/v12/items", headers: [("x-tenant", "team-blue")]) == nil)
    }

    @Test("weights: a point in 0..<total lands on backends in proportion; weight 0 never")
    func weightedPick() throws {
        let table = RouteCompiler().compile(try Self.input(["httproute-weight.yaml"])).table
        let rule = try #require(decide(table, host: "x", path: "/"))
        #expect(rule.totalWeight == 100)
        var counts: [String: Int] = [:]
        for point in 0..<rule.totalWeight {
            guard case .backend(let backend)? = rule.backend(at: point)?.target else { continue }
            counts[backend.key.name, default: 0] += 1
        }
        #expect(counts == ["infra-backend-v1": 70, "infra-backend-v2": 30])
    }

    @Test("EndpointSlices: ready endpoints of the Service port's name; unready ones left out")
    func endpoints() throws {
        var input = try Self.input(["httproute-simple-same-namespace.yaml"])
        input.endpointSlices = [
            EndpointSlice(
                metadata: ObjectMeta(name: "s1", namespace: Self.infra, labels: [EndpointSlice.serviceNameLabel: "infra-backend-v1"]),
                endpoints: [
                    .init(addresses: ["10.0.0.1"], conditions: .init(ready: true)),
                    .init(addresses: ["10.0.0.2"], conditions: .init(ready: false)),
                    .init(addresses: ["10.0.0.3"]),
                ],
                ports: [.init(name: "first-port", port: 3000), .init(name: "second-port", port: 3001)]),
            EndpointSlice(
                metadata: ObjectMeta(name: "other", namespace: Self.infra, labels: [EndpointSlice.serviceNameLabel: "infra-backend-v2"]),
                endpoints: [.init(addresses: ["10.9.9.9"])], ports: [.init(port: 1)]),
        ]
        let table = RouteCompiler().compile(input).table
        let rule = try #require(decide(table, host: "x", path: "/"))
        guard case .backend(let backend)? = rule.backends.first?.target else {
            Issue.record("backend did not resolve")
            return
        }
        #expect(backend.endpoints == [Endpoint(host: "10.0.0.1", port: 3000), Endpoint(host: "10.0.0.3", port: 3000)])
    }

    @Test("a backend port whose appProtocol asks for TLS is UnsupportedProtocol: the route's ResolvedRefs is False, its share answered 500")
    func unsupportedAppProtocol() throws {
        var input = try Self.input(["httproute-simple-same-namespace.yaml"])
        for index in input.services.indices where input.services[index].metadata.name == "infra-backend-v1" {
            input.services[index].spec.ports = input.services[index].spec.ports?.map { port in
                var port = port
                if port.port == 8080 { port.appProtocol = "kubernetes.io/wss" }
                return port
            }
        }
        let output = RouteCompiler().compile(input)
        let reference = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: Self.infra, name: "gateway-conformance-infra-test")
        guard case .route(let status)? = output.typedStatuses[reference] else {
            Issue.record("no route status: \(output.typedStatuses.keys)")
            return
        }
        let resolved = status.parents.first?.conditions.first { $0.type == "ResolvedRefs" }
        #expect(resolved?.status == "False")
        #expect(resolved?.reason == "UnsupportedProtocol")
        #expect(resolved?.message.contains("kubernetes.io/wss") == true)
        let rule = try #require(decide(output.table, host: "x", path: "/"))
        if case .backend? = rule.backends.first?.target { Issue.record("the backend resolved") }
        #expect(Endpoint.WireProtocol.needsTLS("HTTPS") && !Endpoint.WireProtocol.needsTLS("kubernetes.io/ws"))
    }

    /// The base manifests with `httproute-simple-same-namespace.yaml` (an HTTPRoute for every host
    /// of Gateway same-namespace) and `yaml` added.
    static func inputWithRoutes(_ yaml: String) throws -> ProxyInput {
        var input = try Self.input(["httproute-simple-same-namespace.yaml"])
        input.append(try ProxyInput(objects: try YAMLDecoder().objects(yaml, file: "grpc.yaml")))
        return input
    }

    func routeStatus(_ output: RouteCompiler.Output, kind: String, name: String) -> RouteStatus? {
        let reference = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: kind, namespace: Self.infra, name: name)
        guard case .route(let status)? = output.typedStatuses[reference] else { return nil }
        return status
    }

    @Test("an HTTPRoute and a GRPCRoute on one listener with intersecting hostnames: the older is accepted, the other refused there; apart, both serve")
    func grpcAndHTTPRouteConflict() throws {
        func grpcRoute(created: String, hostnames: String) -> String {
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: echo, namespace: \(Self.infra), generation: 3, creationTimestamp: "\(created)"}
            spec:
              parentRefs: [{name: same-namespace}, {name: someone-elses}]
              hostnames: \(hostnames)
              rules: [{matches: [{method: {service: echo.Echo, method: Ping}}], backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]}]
            """
        }
        func accepted(_ status: RouteStatus?) -> Condition? { status?.parents.first?.conditions.first { $0.type == "Accepted" } }
        var input = try Self.inputWithRoutes(grpcRoute(created: "2026-01-02T00:00:00Z", hostnames: "[]"))
        input.httpRoutes[0].metadata.creationTimestamp = "2026-01-01T00:00:00Z"

        // The HTTPRoute (every host) is older: the GRPCRoute is refused, only for this controller's Gateway.
        var output = RouteCompiler().compile(input)
        let refused = routeStatus(output, kind: "GRPCRoute", name: "echo")
        #expect(refused?.parents.map(\.parentRef.name) == ["same-namespace"])
        #expect(accepted(refused)?.status == "False")
        #expect(accepted(refused)?.reason == "NotAllowedByListeners")
        #expect(accepted(refused)?.message.contains("gateway-conformance-infra/gateway-conformance-infra-test") == true)
        #expect(accepted(refused)?.observedGeneration == 3)
        #expect(accepted(routeStatus(output, kind: "HTTPRoute", name: "gateway-conformance-infra-test"))?.status == "True")
        #expect(decide(output.table, host: "x", path: "/echo.Echo/Ping")?.isGRPC == false, "the HTTPRoute serves every path")
        let gateway = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: Self.infra, name: "same-namespace")
        guard case .gateway(let gatewayStatus)? = output.typedStatuses[gateway] else {
            Issue.record("no Gateway status")
            return
        }
        #expect(gatewayStatus.listeners?.first?.attachedRoutes == 1, "only the HTTPRoute is attached")
        #expect(gatewayStatus.listeners?.first?.supportedKinds?.map(\.kind) == ["HTTPRoute", "GRPCRoute"])

        // The GRPCRoute is older: it serves, and the HTTPRoute is the one refused.
        input.grpcRoutes[0].metadata.creationTimestamp = "2025-12-31T00:00:00Z"
        output = RouteCompiler().compile(input)
        #expect(accepted(routeStatus(output, kind: "GRPCRoute", name: "echo"))?.status == "True")
        #expect(accepted(routeStatus(output, kind: "HTTPRoute", name: "gateway-conformance-infra-test"))?.status == "False")
        #expect(decide(output.table, host: "x", path: "/echo.Echo/Ping", method: "POST")?.isGRPC == true)
        #expect(decide(output.table, host: "x", path: "/") == nil, "the refused HTTPRoute serves nothing")

        // Hostnames that do not intersect: both are accepted, each serves its own.
        input = try Self.inputWithRoutes(grpcRoute(created: "2026-01-02T00:00:00Z", hostnames: "[grpc.example]"))
        input.httpRoutes[0].spec.hostnames = ["web.example"]
        output = RouteCompiler().compile(input)
        #expect(accepted(routeStatus(output, kind: "GRPCRoute", name: "echo"))?.status == "True")
        #expect(accepted(routeStatus(output, kind: "HTTPRoute", name: "gateway-conformance-infra-test"))?.status == "True")
        #expect(decide(output.table, host: "grpc.example", path: "/echo.Echo/Ping", method: "POST")?.isGRPC == true)
        #expect(decide(output.table, host: "web.example", path: "/echo.Echo/Ping")?.isGRPC == false)
    }

    @Test("GRPCRoute matches: Exact service and method, service alone, method alone, RegularExpression; the longest service, then method, then most headers first")
    func grpcMatchPrecedence() throws {
        var input = try Self.input([])
        input.append(try ProxyInput(objects: try YAMLDecoder().objects("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: methods, namespace: \(Self.infra)}
            spec:
              parentRefs: [{name: same-namespace}]
              rules:
              - name: method-only
                matches: [{method: {method: Ping}}]
                backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
              - name: service-only
                matches: [{method: {service: echo.Echo}}]
                backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
              - name: service-and-method
                matches: [{method: {service: echo.Echo, method: Ping}}]
                backendRefs: [{name: infra-backend-v1, port: 8080}]
              - name: with-header
                matches: [{method: {service: echo.Echo, method: Ping}, headers: [{name: version, value: two}]}]
                backendRefs: [{name: grpc-infra-backend-v2, port: 8080}]
              - name: regex
                matches: [{method: {type: RegularExpression, service: "health\\\\..*", method: "Ch.*"}}]
                backendRefs: [{name: grpc-infra-backend-v3, port: 8080}]
              - name: everything
                backendRefs: [{name: grpc-infra-backend-v3, port: 8080}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: infra-backend-v1-slice, namespace: \(Self.infra), labels: {kubernetes.io/service-name: infra-backend-v1}}
            addressType: IPv4
            endpoints: [{addresses: [127.0.0.1]}]
            ports: [{name: first-port, port: 3000}]
            """, file: "grpc.yaml")))
        let table = RouteCompiler().compile(input).table
        func rule(_ path: String, _ headers: [(String, String)] = []) -> Int? {
            decide(table, host: "x", path: path, method: "POST", headers: headers)?.ruleIndex
        }
        #expect(rule("/echo.Echo/Ping") == 2, "service and method beat either alone")
        #expect(rule("/echo.Echo/Ping", [("version", "two")]) == 3, "a header more wins the tie")
        #expect(rule("/echo.Echo/Other") == 1)
        #expect(rule("/other.Service/Ping") == 0)
        #expect(rule("/health.v1.Health/Check") == 4)
        #expect(rule("/healthy/Check") == 5, "the service pattern's dot is a dot")
        #expect(rule("/anything.At/All") == 5, "a rule without matches takes every call")
        let backend = try #require(decide(table, host: "x", path: "/echo.Echo/Ping", method: "POST")?.backends.first?.target)
        guard case .backend(let resolved) = backend else {
            Issue.record("backend not resolved")
            return
        }
        #expect(resolved.endpoints.map(\.wireProtocol) == [.h2c], "a GRPCRoute's backends are spoken to over h2c, whatever the appProtocol")
    }

    @Test("statuses: GatewayClass and Gateway Accepted/Programmed, listener supportedKinds and attachedRoutes")
    func gatewayStatus() throws {
        let output = RouteCompiler().compile(try Self.input(["httproute-simple-same-namespace.yaml"]), now: "2026-11-29T00:00:00Z")
        let gateway = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: Self.infra, name: "same-namespace")
        let status = try #require(output.statuses[gateway]?.objectValue)
        let conditions = status["conditions"]?.arrayValue?.compactMap(\.objectValue) ?? []
        #expect(conditions.map { $0["type"]?.stringValue } == ["Accepted", "Programmed"])
        #expect(conditions.allSatisfy { $0["status"]?.stringValue == "True" && $0["lastTransitionTime"]?.stringValue == "2026-11-29T00:00:00Z" })
        let listener = try #require(status["listeners"]?.arrayValue?.first?.objectValue)
        #expect(listener["attachedRoutes"]?.integerValue == 1)
        #expect(listener["supportedKinds"]?.arrayValue?.first?.objectValue?["kind"]?.stringValue == "HTTPRoute")
        let gatewayClass = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", namespace: nil, name: "sluice")
        #expect(output.statuses[gatewayClass] != nil)
    }

    @Test("Gateways of another controller are left alone: no table entries, no status")
    func otherController() throws {
        var input = try Self.input(["httproute-simple-same-namespace.yaml"])
        input.gatewayClasses = [GatewayClass(
            apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: ObjectMeta(name: "sluice"),
            spec: GatewayClassSpec(controllerName: "example.com/other"))]
        let output = RouteCompiler().compile(input)
        #expect(output.table.sockets.isEmpty)
        #expect(output.statuses.isEmpty)
    }

    @Test("an HTTPS listener without a readable certificate Secret is not programmed")
    func missingCertificate() throws {
        let output = RouteCompiler().compile(try Self.input(["httproute-https-listener.yaml"]))
        #expect(output.table.sockets[ListenerSocket(port: 443)] == nil)
        let gateway = ObjectReference(
            apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: Self.infra, name: "same-namespace-with-https-listener")
        let listener = output.statuses[gateway]?.objectValue?["listeners"]?.arrayValue?.first?.objectValue
        let resolved = listener?["conditions"]?.arrayValue?.compactMap(\.objectValue).first { $0["type"]?.stringValue == "ResolvedRefs" }
        #expect(resolved?["status"]?.stringValue == "False")
        #expect(resolved?["reason"]?.stringValue == "InvalidCertificateRef")
    }

    @Test("URL rewriting and redirect locations")
    func rewriting() {
        #expect(RequestRewriting.rewrittenURI("/api/x", .replacePrefixMatch("/"), matchedPrefix: "/api") == "/x")
        #expect(RequestRewriting.rewrittenURI("/api", .replacePrefixMatch("/"), matchedPrefix: "/api") == "/")
        #expect(RequestRewriting.rewrittenURI("/prefix/one/two", .replacePrefixMatch("/one"), matchedPrefix: "/prefix/one") == "/one/two")
        #expect(RequestRewriting.rewrittenURI("/x/y", .replacePrefixMatch("/new"), matchedPrefix: "") == "/new/x/y")
        #expect(RequestRewriting.rewrittenURI("/api/x?q=1", rewrite: Rewrite(path: .replacePrefixMatch("/")), matchedPrefix: "/api") == "/x?q=1")
        let redirect = Redirect(scheme: "https", hostname: nil, port: nil, path: nil, statusCode: 301)
        #expect(RequestRewriting.location(for: redirect, uri: "/a?b", host: "Foo.com:8080", matchedPrefix: nil, listenerPort: 80, isTLS: false) == "https://foo.com/a?b")
    }

    @Test("PathPrefix matches whole segments, compared as bytes")
    func pathPrefixSegments() {
        let cases: [(path: String, prefix: String, matches: Bool)] = [
            ("/api", "/api", true), ("/api/", "/api", true), ("/api/x/y", "/api", true), ("/apix", "/api", false),
            ("/ap", "/api", false), ("/", "/api", false), ("/API", "/api", false), ("/v2/é/x", "/v2/é", true),
            ("/v2/éx", "/v2/é", false),
        ]
        for (path, prefix, matches) in cases {
            // A substring of a longer target, as the matcher gets it (the path before the query).
            let target = path + "?q=1"
            let substring = target[..<target.firstIndex(of: "?")!]
            #expect(CompiledMatch.hasPathPrefix(substring, prefix) == matches, "\(path) \(prefix)")
        }
    }
}
