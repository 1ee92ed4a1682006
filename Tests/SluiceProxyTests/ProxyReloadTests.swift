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

    @Test("100 route changes under wrk load: zero failed requests, each change served within 100 ms")
    func reloadUnderLoad() async throws {
        let env = try await ConformanceEnvironment.start([]) { $0.httpRoutes.append(Self.route(generation: 0)) }
        defer { Task { await env.stop() } }
        let port = await env.port()
        let wrk = Task { try await Self.run(["wrk", "-t1", "-c16", "-d4s", "-H", "Host: gw.test", "http://127.0.0.1:\(port)/load"]) }
        try await Task.sleep(for: .milliseconds(500))

        let probe = try await TestConnection.connect(port: port)
        defer { Task { await probe.close() } }
        var input = env.input
        var slowest = Duration.zero
        let clock = ContinuousClock()
        for generation in 1...100 {
            input.httpRoutes.removeAll { $0.metadata.name == "reloaded" }
            input.httpRoutes.append(Self.route(generation: generation))
            let start = clock.now
            try await env.proxy.install(RouteCompiler().compile(input).table)
            while true {
                let response = try await probe.send("/probe", host: "gw.test")
                #expect(response.status == 200)
                if response.echo?.header("X-Generation") == "\(generation)" { break }
                if clock.now - start > .seconds(1) {
                    Issue.record("generation \(generation) not served after 1 s")
                    break
                }
            }
            slowest = max(slowest, clock.now - start)
            #expect(clock.now - start < .milliseconds(100), "generation \(generation) took \(clock.now - start)")
            try await Task.sleep(for: .milliseconds(15))
        }
        let report = try await wrk.value
        let requests = report.split(separator: "\n").first { $0.contains("requests in") }
            .flatMap { $0.split(separator: " ").first.flatMap { Int($0) } } ?? 0
        #expect(requests > 1000, "\(report)")
        #expect(!report.contains("Non-2xx"), "\(report)")
        #expect(!report.contains("Socket errors"), "\(report)")
        #expect(slowest < .milliseconds(100))
    }
}
