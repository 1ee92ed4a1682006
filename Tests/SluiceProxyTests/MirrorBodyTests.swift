import Foundation
import Testing

@testable import SluiceProxy

/// Request bodies and RequestMirror: what the mirrors get, and what they do not.
@Suite("Mirrors and request bodies")
struct MirrorBodyTests {
    static func environment() async throws -> ConformanceEnvironment {
        var configuration = ProxyConfiguration()
        configuration.limits.maxMirroredBodyBytes = 64 * 1024
        return try await ConformanceEnvironment.start(["httproute-request-mirror.yaml"], configuration: configuration)
    }

    @Test("a chunked upload reaches the mirror whole and ended, as it reaches the backend")
    func chunkedUpload() async throws {
        let env = try await Self.environment()
        defer { Task { await env.stop() } }
        let mirror = try #require(env.echo("infra-backend-v2"))
        let raw = try await RawConnection.connect(port: await env.port())
        defer { Task { await raw.close() } }
        try await raw.sendChunkedHelloWorld("/mirror", host: "gateway.test")
        #expect(try await raw.waitFor(#""bodyLength":11"#, timeout: .seconds(10)), "\(raw.received)")
        try await eventually { mirror.requests.contains { $0.path == "/mirror" } }
        #expect(mirror.requests.first?.bodyLength == 11)
        #expect(mirror.requests.first?.method == "POST")
    }

    @Test("a body over the limit goes to the backend but to no mirror, counted as skipped; the next small one is mirrored")
    func bodyOverLimit() async throws {
        let env = try await Self.environment()
        defer { Task { await env.stop() } }
        let mirror = try #require(env.echo("infra-backend-v2"))
        let connection = try await TestConnection.connect(port: await env.port())
        defer { Task { await connection.close() } }
        let large = String(repeating: "y", count: 100 * 1024)
        let answered = try await connection.send("/mirror", host: "gateway.test", method: .POST, body: large)
        #expect(answered.status == 200)
        #expect(answered.echo?.bodyLength == large.utf8.count, "the backend gets all of it")
        let small = try await connection.send("/mirror", host: "gateway.test", method: .POST, body: "small")
        #expect(small.status == 200)
        try await eventually { !mirror.requests.isEmpty }
        try await Task.sleep(for: .milliseconds(200))
        #expect(mirror.requests.map(\.bodyLength) == [5], "only the small request was mirrored")
        let stats = env.proxy.stats.snapshot().first { $0.key.name == "infra-backend-v2" }?.value
        #expect(stats?.mirrorsSkipped == 1)
        #expect(env.proxy.stats.prometheusText().contains(
            #"sluice_proxy_backend_mirrors_skipped_total{namespace="gateway-conformance-infra",service="infra-backend-v2",port="8080"} 1"#))
    }
}
