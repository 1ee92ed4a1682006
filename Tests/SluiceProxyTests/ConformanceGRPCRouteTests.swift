import Foundation
import GRPCCore
import SluiceModel
import Testing

@testable import SluiceProxy

/// The conformance suite's GRPCRoute tests (v1.6.1: exact method matching, header matching,
/// listener hostname matching, weights), with routes of the same shape written here (`../shared`
/// carries no GRPCRoute manifests) on the base manifests' Gateways and gRPC Services. A real
/// grpc-swift client calls through the proxy to real grpc-swift servers, over h2c both ways.
@Suite("Conformance: GRPCRoute")
struct ConformanceGRPCRouteTests {
    @Test("GRPCExactMethodMatching and GRPCRouteNamedRule: service and method pick the backend; a method no rule matches is UNIMPLEMENTED")
    func exactMethodMatching() async throws {
        let grpc = try await GRPCConformance.start("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: exact-methods, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace}]
              rules:
              - name: named-rule
                matches: [{method: {service: \(GRPCEcho.service), method: Echo}}]
                backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
              - matches: [{method: {service: \(GRPCEcho.service), method: EchoTwo}}]
                backendRefs: [{name: grpc-infra-backend-v2, port: 8080}]
            """)
        defer { Task { await grpc.stop() } }
        let conditions = grpc.conditions("exact-methods")
        #expect(conditions["Accepted"]?.status == "True")
        #expect(conditions["ResolvedRefs"]?.status == "True")
        let port = await grpc.env.port()
        let echo = try await GRPCTestClient.call(port: port, host: "grpc.example", method: "Echo")
        #expect(echo.reply.backend == "grpc-infra-backend-v1")
        #expect(echo.reply.method == "Echo")
        #expect(echo.reply.bodyLength == 5, "the request message reached the backend whole")
        #expect(echo.trailers["echo-trailer"] == "grpc-infra-backend-v1", "the backend's trailers reached the client")
        #expect(try await GRPCTestClient.call(port: port, host: "grpc.example", method: "EchoTwo").reply.backend == "grpc-infra-backend-v2")
        #expect(try await GRPCTestClient.code(port: port, host: "grpc.example", method: "EchoThree") == .unimplemented)
    }

    @Test("a backend's failures reach the client as the backend gave them (trailers-only answers keep their code and message), and count by their gRPC status")
    func backendStatuses() async throws {
        let grpc = try await GRPCConformance.start("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: whole-service, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace}]
              rules:
              - matches: [{method: {service: \(GRPCEcho.service)}}]
                backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
            """)
        defer { Task { await grpc.stop() } }
        let port = await grpc.env.port()
        #expect(try await GRPCTestClient.call(port: port, host: "grpc.example", method: "EchoTwo").reply.backend == "grpc-infra-backend-v1")
        // Routed to the backend, which does not serve the method.
        #expect(try await GRPCTestClient.code(port: port, host: "grpc.example", method: "EchoThree") == .unimplemented)
        let refused = try await GRPCTestClient.error(port: port, host: "grpc.example", method: "Refuse")
        #expect(refused?.code == .permissionDenied)
        #expect(refused?.message == "refused by grpc-infra-backend-v1")
        // Statistics count each call by its gRPC status: OK a 2xx, PERMISSION_DENIED a 4xx
        // (403), UNIMPLEMENTED a 5xx (501), as the canary must see them.
        let stats = grpc.env.proxy.stats.snapshot().first { $0.key.name == "grpc-infra-backend-v1" }?.value
        #expect(stats?.requests == 3)
        #expect(stats?.responsesByClass == [0, 1, 0, 1, 1], "\(stats?.responsesByClass ?? [])")
    }

    @Test("filters: request headers set and removed on the way to the backend, every call mirrored to a second backend over h2c")
    func filters() async throws {
        let grpc = try await GRPCConformance.start("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: filtered, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace}]
              rules:
              - filters:
                - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-tenant, value: blue}], remove: [x-drop]}}
                - {type: RequestMirror, requestMirror: {backendRef: {name: grpc-infra-backend-v2, port: 8080}}}
                backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
            """)
        defer { Task { await grpc.stop() } }
        let port = await grpc.env.port()
        for index in 0..<3 {
            let answer = try await GRPCTestClient.call(
                port: port, host: "grpc.example", method: "Echo", metadata: ["x-drop": "gone", "x-keep": "\(index)"])
            #expect(answer.reply.backend == "grpc-infra-backend-v1")
            #expect(answer.reply.metadata["x-tenant"] == "blue")
            #expect(answer.reply.metadata["x-drop"] == nil)
            #expect(answer.reply.metadata["x-keep"] == "\(index)")
        }
        let mirror = try #require(grpc.servers["grpc-infra-backend-v2"])
        try await eventually { mirror.calls.count >= 3 }
        #expect(mirror.calls == ["Echo", "Echo", "Echo"], "the mirror's calls")
    }

    @Test("over an HTTPS listener: TLS with ALPN h2, the listener's certificate verified, the hostname's listener picked by the server name")
    func overTLS() async throws {
        let grpc = try await GRPCConformance.start("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: secure, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace-with-https-listener, sectionName: https-with-hostname}]
              hostnames: [second-example.org]
              rules: [{backendRefs: [{name: grpc-infra-backend-v3, port: 8080}]}]
            """)
        defer { Task { await grpc.stop() } }
        #expect(grpc.conditions("secure", parent: "same-namespace-with-https-listener")["Accepted"]?.status == "True")
        let ca = try TestCertificates.shared.get().caPEM
        let port = await grpc.env.port(443)
        let answer = try await GRPCTestClient.call(port: port, host: "second-example.org", method: "Echo", trusting: ca)
        #expect(answer.reply.backend == "grpc-infra-backend-v3")
        #expect(answer.trailers["echo-trailer"] == "grpc-infra-backend-v3")
        // The other listener on the port (no hostname) has no GRPCRoute.
        #expect(try await GRPCTestClient.code(port: port, host: "example.org", method: "Echo", trusting: ca) == .unimplemented)
    }

    @Test("a bidirectional stream passes through message by message, each side's messages forwarded as they come")
    func bidirectionalStreaming() async throws {
        let grpc = try await GRPCConformance.start("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: chat, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace}]
              rules: [{backendRefs: [{name: grpc-infra-backend-v2, port: 8080}]}]
            """)
        defer { Task { await grpc.stop() } }
        let messages = (1...20).map { "message \($0) " + String(repeating: "x", count: $0 * 500) }
        let answers = try await GRPCTestClient.chat(port: await grpc.env.port(), host: "grpc.example", messages: messages)
        #expect(answers == messages.map { "grpc-infra-backend-v2: \($0)" })
    }

    @Test("GRPCRouteHeaderMatching: header matches, ANDed within a match, ORed across matches, most headers first, then rule order")
    func headerMatching() async throws {
        let grpc = try await GRPCConformance.start("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: header-matches, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace}]
              rules:
              - matches: [{headers: [{name: version, value: one}]}]
                backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
              - matches: [{headers: [{name: version, value: two}]}]
                backendRefs: [{name: grpc-infra-backend-v2, port: 8080}]
              - matches: [{headers: [{name: version, value: two}, {name: color, value: orange}]}]
                backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
              - matches: [{headers: [{name: color, value: blue}]}, {headers: [{name: color, value: green}]}]
                backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]
              - matches: [{headers: [{name: color, value: red}]}, {headers: [{name: color, value: yellow}]}]
                backendRefs: [{name: grpc-infra-backend-v2, port: 8080}]
            """)
        defer { Task { await grpc.stop() } }
        let port = await grpc.env.port()
        let cases: [([String: String], String?)] = [
            (["version": "one"], "grpc-infra-backend-v1"),
            (["version": "two"], "grpc-infra-backend-v2"),
            (["version": "two", "color": "orange"], "grpc-infra-backend-v1"),
            (["version": "two", "color": "blue"], "grpc-infra-backend-v2"),
            (["color": "orange"], nil),
            (["some-other-header": "one"], nil),
            (["color": "blue"], "grpc-infra-backend-v1"),
            (["color": "green"], "grpc-infra-backend-v1"),
            (["color": "red"], "grpc-infra-backend-v2"),
            (["color": "yellow"], "grpc-infra-backend-v2"),
            (["color": "purple"], nil),
        ]
        for (metadata, backend) in cases {
            if let backend {
                let answer = try await GRPCTestClient.call(port: port, host: "grpc.example", method: "Echo", metadata: metadata)
                #expect(answer.reply.backend == backend, "\(metadata)")
                #expect(answer.reply.metadata["color"] == metadata["color"], "metadata reached the backend")
            } else {
                #expect(try await GRPCTestClient.code(port: port, host: "grpc.example", method: "Echo", metadata: metadata) == .unimplemented, "\(metadata)")
            }
        }
    }

    @Test("GRPCRouteListenerHostnameMatching: each listener's hostname picks its routes; other authorities are UNIMPLEMENTED")
    func listenerHostnameMatching() async throws {
        let grpc = try await GRPCConformance.start("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: grpc-hostnames, namespace: gateway-conformance-infra}
            spec:
              gatewayClassName: sluice
              listeners:
              - {name: listener-1, port: 80, protocol: HTTP, hostname: bar.com}
              - {name: listener-2, port: 80, protocol: HTTP, hostname: foo.bar.com}
              - {name: listener-3, port: 80, protocol: HTTP, hostname: "*.bar.com"}
              - {name: listener-4, port: 80, protocol: HTTP, hostname: "*.foo.com"}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: to-v1, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: grpc-hostnames, sectionName: listener-1}]
              rules: [{backendRefs: [{name: grpc-infra-backend-v1, port: 8080}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: to-v2, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: grpc-hostnames, sectionName: listener-2}]
              rules: [{backendRefs: [{name: grpc-infra-backend-v2, port: 8080}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: to-v3, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: grpc-hostnames, sectionName: listener-3}, {name: grpc-hostnames, sectionName: listener-4}]
              rules: [{backendRefs: [{name: grpc-infra-backend-v3, port: 8080}]}]
            """)
        defer { Task { await grpc.stop() } }
        for name in ["to-v1", "to-v2", "to-v3"] {
            #expect(grpc.conditions(name, parent: "grpc-hostnames")["Accepted"]?.status == "True", "\(name)")
        }
        let port = await grpc.env.port()
        let cases: [(String, String?)] = [
            ("bar.com", "grpc-infra-backend-v1"), ("foo.bar.com", "grpc-infra-backend-v2"),
            ("baz.bar.com", "grpc-infra-backend-v3"), ("boo.bar.com", "grpc-infra-backend-v3"),
            ("multiple.prefixes.bar.com", "grpc-infra-backend-v3"), ("multiple.prefixes.foo.com", "grpc-infra-backend-v3"),
            ("foo.com", nil), ("no.matching.host", nil),
        ]
        for (authority, backend) in cases {
            if let backend {
                #expect(try await GRPCTestClient.call(port: port, host: authority, method: "Echo").reply.backend == backend, "\(authority)")
            } else {
                #expect(try await GRPCTestClient.code(port: port, host: authority, method: "Echo") == .unimplemented, "\(authority)")
            }
        }
    }

    @Test("GRPCRouteWeight: a 70/30 split over many calls, weight 0 gets none; an invalid backend's share is UNAVAILABLE")
    func weights() async throws {
        let grpc = try await GRPCConformance.start("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: weighted, namespace: gateway-conformance-infra}
            spec:
              parentRefs: [{name: same-namespace}]
              rules:
              - matches: [{method: {service: \(GRPCEcho.service), method: Echo}}]
                backendRefs:
                - {name: grpc-infra-backend-v1, port: 8080, weight: 70}
                - {name: grpc-infra-backend-v2, port: 8080, weight: 30}
                - {name: grpc-infra-backend-v3, port: 8080, weight: 0}
              - matches: [{method: {service: \(GRPCEcho.service), method: EchoTwo}}]
                backendRefs: [{name: no-such-service, port: 8080}]
            """)
        defer { Task { await grpc.stop() } }
        #expect(grpc.conditions("weighted")["ResolvedRefs"]?.reason == "BackendNotFound")
        let port = await grpc.env.port()
        var counts: [String: Int] = [:]
        let calls = 300
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var backends: [String] = []
                    for _ in 0..<(calls / 4) {
                        backends.append(try await GRPCTestClient.call(port: port, host: "grpc.example", method: "Echo").reply.backend)
                    }
                    return backends.joined(separator: " ")
                }
            }
            for try await batch in group {
                for backend in batch.split(separator: " ") { counts[String(backend), default: 0] += 1 }
            }
        }
        // 4 sigma of a random pick per call (the suite allows a fixed 5% of each share).
        for (backend, share) in [("grpc-infra-backend-v1", 0.7), ("grpc-infra-backend-v2", 0.3)] {
            let expected = Double(calls) * share
            let sigma = (Double(calls) * share * (1 - share)).squareRoot()
            #expect(abs(Double(counts[backend] ?? 0) - expected) <= 4 * sigma, "\(counts)")
        }
        #expect(counts["grpc-infra-backend-v3"] == nil, "weight 0: \(counts)")
        #expect(try await GRPCTestClient.code(port: port, host: "grpc.example", method: "EchoTwo") == .unavailable)
    }
}

/// The base manifests (Gateway `same-namespace`, the gRPC Services) with `manifests` added and
/// each gRPC Service's endpoint a grpc-swift echo server of its name.
struct GRPCConformance {
    let env: ConformanceEnvironment
    let servers: [String: GRPCEchoServer]

    static func start(_ manifests: String) async throws -> GRPCConformance {
        var servers: [String: GRPCEchoServer] = [:]
        for name in ["grpc-infra-backend-v1", "grpc-infra-backend-v2", "grpc-infra-backend-v3"] {
            servers[name] = try await GRPCEchoServer.start(name: name)
        }
        let added = try ProxyInput(objects: try YAMLDecoder().objects(manifests, file: "grpc-test.yaml"))
        let env = try await ConformanceEnvironment.start([]) { input in
            input.append(added)
            for index in input.endpointSlices.indices {
                guard let service = input.endpointSlices[index].metadata.labels?[EndpointSlice.serviceNameLabel],
                    let server = servers[service]
                else { continue }
                input.endpointSlices[index].ports = input.endpointSlices[index].ports?.map { EndpointSlice.Port(name: $0.name, port: server.port) }
            }
        }
        return GRPCConformance(env: env, servers: servers)
    }

    /// The conditions of a GRPCRoute's computed status for the Gateway `parent`.
    func conditions(_ name: String, parent: String = "same-namespace") -> [String: (status: String, reason: String)] {
        env.routeConditions(name, parent: parent, routeKind: "GRPCRoute")
    }

    func stop() async {
        await env.stop()
        for server in servers.values { await server.stop() }
    }
}
