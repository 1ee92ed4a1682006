import Dispatch
import Foundation
import SluiceModel
import SluiceProxy
import SluiceTestSupport
import Testing

/// RouteTable reloads under load: wrk drives traffic while the route changes 100 times.
@Suite("Proxy reload")
struct ProxyReloadTests {
    static func route(generation: Int) -> HTTPRoute {
        var rule = HTTPRouteRule(
            matches: [HTTPRouteMatch(path: .init(type: "PathPrefix", value: "/"))],
            backendRefs: [HTTPBackendRef(name: generation % 2 == 0 ? "infra-backend-v1" : "infra-backend-v2", port: 8080)])
        var filter = HTTPRouteFilter(type: "RequestHeaderModifier")
        filter.requestHeaderModifier = HTTPHeaderFilter(set: [HTTPHeader(name: "X-Generation", value: "\(generation)")])
        rule.filters = [filter]
        return HTTPRoute(
            apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute",
            metadata: ObjectMeta(name: "reloaded", namespace: "gateway-conformance-infra"),
            spec: HTTPRouteSpec(parentRefs: [ParentReference(name: "same-namespace")], rules: [rule]))
    }

    /// Runs a blocking command off the cooperative threads.
    static func run(_ command: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Shell.text(command) })
            }
        }
    }

    @Test("100 route changes under wrk load: zero failed requests, each change in effect within 100 ms")
    func reloadUnderLoad() async throws {
        let env = try await ConformanceEnvironment.start([]) { $0.httpRoutes.append(Self.route(generation: 0)) }
        defer { Task { await env.stop() } }
        let port = await env.port()
        let warm = try await TestConnection.get(port: port, "/warm", host: "gw.test")
        #expect(warm.status == 200)
        // wrk sizes its event table for its own sockets (10 + 3 per connection): descriptors inherited
        // from this test process would push its sockets past that and count as connect errors, so
        // it starts with only stdin, stdout and stderr.
        let wrkCommand = ["wrk", "-t1", "-c8", "-d8s", "-H", "Host: gw.test", "http://127.0.0.1:\(port)/load"]
        let wrk = Task {
            try await Self.run(["python3", "-c", "import os, sys; os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])"] + wrkCommand)
        }
        try await Task.sleep(for: .milliseconds(500))

        let probe = try await TestConnection.connect(port: port)
        defer { Task { await probe.close() } }
        var input = env.input
        var slowest = Duration.zero
        var stale = 0
        let clock = ContinuousClock()
        for generation in 1...100 {
            input.httpRoutes.removeAll { $0.metadata.name == "reloaded" }
            input.httpRoutes.append(Self.route(generation: generation))
            let start = clock.now
            let failures = try await env.proxy.install(RouteCompiler().compile(input).table)
            #expect(failures.isEmpty)
            // In effect: compiled and swapped in. A request read from now on is routed by it, so the
            // very next probe must see this generation (no retry, no stale answer).
            let applied = clock.now - start
            slowest = max(slowest, applied)
            #expect(applied < .milliseconds(100), "generation \(generation) took \(applied) to apply")
            let response = try await probe.send("/probe", host: "gw.test")
            #expect(response.status == 200)
            if response.echo?.header("X-Generation") != "\(generation)" { stale += 1 }
            #expect(response.echo?.pod == (generation % 2 == 0 ? "infra-backend-v1-pod" : "infra-backend-v2-pod"))
            try await Task.sleep(for: .milliseconds(15))
        }
        #expect(stale == 0, "\(stale) probes saw an older RouteTable")
        let report = try await wrk.value
        let requests = report.split(separator: "\n").first { $0.contains("requests in") }
            .flatMap { $0.split(separator: " ").first.flatMap { Int($0) } } ?? 0
        #expect(requests > 1000, "\(report)")
        #expect(!report.contains("Non-2xx"), "\(report)")
        #expect(!report.contains("Socket errors"), "\(report)")
        #expect(slowest < .milliseconds(100))
    }
}

@Suite("Proxy configuration source")
struct ProxySourceTests {
    @Test("run(source:) compiles and installs each snapshot and hands over the statuses")
    func runFromSource() async throws {
        let env = try await ConformanceEnvironment.start([])
        defer { Task { await env.stop() } }
        let source = ProxyInputStream()
        let received = AsyncStream<[ObjectReference: JSONValue]>.makeStream()
        let runner = Task { await env.proxy.run(source: source) { received.continuation.yield($0) } }
        var input = env.input
        input.httpRoutes = [ProxyReloadTests.route(generation: 7)]
        source.yield(input)
        var iterator = received.stream.makeAsyncIterator()
        let statuses = try #require(await iterator.next())
        let route = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: "gateway-conformance-infra", name: "reloaded")
        #expect(statuses[route] != nil)
        let response = try await TestConnection.get(port: await env.port(), "/", host: "gw.test")
        #expect(response.echo?.header("X-Generation") == "7")
        source.finish()
        await runner.value
        #expect(env.proxy.stats.prometheusText().contains("sluice_proxy_backend_requests_total{namespace=\"gateway-conformance-infra\",service=\"infra-backend-v2\",port=\"8080\"} 1"))
    }
}
