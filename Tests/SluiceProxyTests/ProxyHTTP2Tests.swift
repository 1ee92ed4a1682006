import Foundation
import NIOCore
import SluiceProxy
import SluiceTestSupport
import Testing

/// HTTP/2 downstream over real sockets: curl (nghttp2) and NIO's HTTP/2 client against the proxy,
/// real echo backends behind it. One test at a time: side by side they would add load that the
/// timing-sensitive suites running beside them (reload under wrk) feel on a 2-core machine.
@Suite("Proxy: HTTP/2 and h2c downstream", .serialized)
struct ProxyHTTP2Tests {
    @Test("h2 over TLS: ALPN chooses h2, SNI picks the listener; HTTP/1.1 still served on the same listener")
    func h2OverTLS() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-https-listener.yaml"])
        defer { Task { await env.stop() } }
        let material = try TestCertificates.shared.get()
        let directory = try TemporaryDirectory("sluice-h2-ca")
        try Data(material.caPEM).write(to: directory.path("ca.crt"))
        let port = await env.port(443)
        for (host, pod) in [("example.org", "infra-backend-v1-pod"), ("second-example.org", "infra-backend-v2-pod")] {
            let tls = ["--cacert", directory.path("ca.crt").path, "--resolve", "\(host):\(port):127.0.0.1", "https://\(host):\(port)/"]
            let h2 = try await Curl.request(["--http2"] + tls)
            #expect(h2.version == "2", "\(host): \(h2)")
            #expect(h2.echo?.pod == pod, "\(host): \(h2)")
            let http1 = try await Curl.request(["--http1.1"] + tls)
            #expect(http1.version == "1.1", "\(host): \(http1)")
            #expect(http1.echo?.pod == pod, "\(host): \(http1)")
        }
        // NIO's client offers only h2: the handshake must agree on it.
        let connection = try await HTTP2TestConnection.connect(port: port, tls: ("second-example.org", material.caPEM))
        defer { Task { await connection.close() } }
        let response = try await connection.send("/", host: "second-example.org")
        #expect(response.echo?.pod == "infra-backend-v2-pod")
        // The listener without a hostname serves this Host, not the TLS server name's listener.
        let unknown = try await connection.send("/", host: "unknown-example.org")
        #expect(unknown.status == 421)
    }

    @Test("h2c with prior knowledge on a plain listener, :authority as Host; HTTP/1.1 and an Upgrade: h2c offer get HTTP/1.1")
    func h2cPriorKnowledge() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-matching.yaml"])
        defer { Task { await env.stop() } }
        let port = await env.port()
        let resolve = ["--resolve", "gateway.test:\(port):127.0.0.1"]
        let base = "http://gateway.test:\(port)"
        let h2 = try await Curl.request(["--http2-prior-knowledge"] + resolve + ["\(base)/v2/example"])
        #expect(h2.version == "2", "\(h2)")
        #expect(h2.echo?.pod == "infra-backend-v2-pod", "\(h2)")
        // The backend gets :authority as Host, over HTTP/1.1.
        #expect(h2.echo?.host == "gateway.test:\(port)", "\(h2)")
        let http1 = try await Curl.request(resolve + ["\(base)/v2"])
        #expect(http1.version == "1.1", "\(http1)")
        #expect(http1.echo?.pod == "infra-backend-v2-pod", "\(http1)")
        // `--http2` on plain HTTP sends `Upgrade: h2c`, which the proxy does not take up.
        let upgrade = try await Curl.request(["--http2"] + resolve + ["\(base)/"])
        #expect(upgrade.version == "1.1", "\(upgrade)")
        #expect(upgrade.echo?.pod == "infra-backend-v1-pod", "\(upgrade)")
        #expect(upgrade.echo?.header("upgrade") == nil, "\(upgrade)")
    }

    @Test("HTTPRouteMatching over h2c: the conformance cases on HTTP/2 streams")
    func matchingOverH2() async throws {
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
        ], over: .h2c)
    }

    @Test("concurrent streams on one connection go to their own backends, side by side, and are counted")
    func concurrentStreams() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-matching.yaml"])
        defer { Task { await env.stop() } }
        let connection = try await HTTP2TestConnection.connect(port: await env.port())
        defer { Task { await connection.close() } }
        let paths = ["/", "/v2", "/example", "/v2/example", "/one/two", "/v2/three"]
        let clock = ContinuousClock()
        let start = clock.now
        // Each backend answers after one second: one after another they would take six. The bound
        // leaves a loaded machine room while still telling the two apart.
        let responses = try await withThrowingTaskGroup(of: (String, TestResponse).self) { group in
            for path in paths {
                group.addTask { (path, try await connection.send("\(path)?delay=1s", host: "gateway.test")) }
            }
            return try await group.reduce(into: [String: TestResponse]()) { $0[$1.0] = $1.1 }
        }
        let elapsed = clock.now - start
        #expect(elapsed < .seconds(5), "six one-second requests took \(elapsed)")
        for path in paths {
            let pod = path.hasPrefix("/v2") ? "infra-backend-v2-pod" : "infra-backend-v1-pod"
            #expect(responses[path]?.echo?.pod == pod, "\(path)")
            #expect(responses[path]?.echo?.path == "\(path)?delay=1s", "\(path)")
        }
        let stats = env.proxy.stats.snapshot()
        for name in ["infra-backend-v1", "infra-backend-v2"] {
            let backend = stats.first { $0.key.name == name }?.value
            #expect(backend?.requests == 3, "\(name)")
            #expect(backend?.responsesByClass[1] == 3, "\(name)")
        }
    }

    @Test("HTTPRouteWeight over h2: 70/30/0 across 1000 streams of one connection, counted per backend")
    func weightsOverH2() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-weight.yaml"])
        defer { Task { await env.stop() } }
        let connection = try await HTTP2TestConnection.connect(port: await env.port())
        defer { Task { await connection.close() } }
        var counts: [String: Int] = [:]
        // 50 batches of 20 concurrent streams.
        for _ in 0..<50 {
            let pods = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await connection.send("/", host: "gateway.test").echo?.pod ?? "none" }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            for pod in pods { counts[pod, default: 0] += 1 }
        }
        // Within 4 sigma of a random 70% pick (sigma = sqrt(1000 * 0.7 * 0.3) ≈ 14.5).
        #expect((700 - 58)...(700 + 58) ~= counts["infra-backend-v1-pod", default: 0], "\(counts)")
        #expect((300 - 58)...(300 + 58) ~= counts["infra-backend-v2-pod", default: 0], "\(counts)")
        #expect(counts["infra-backend-v3-pod"] == nil, "\(counts)")
        #expect(counts["none"] == nil, "\(counts)")
        let stats = env.proxy.stats.snapshot()
        for name in ["infra-backend-v1", "infra-backend-v2"] {
            let backend = stats.first { $0.key.name == name }?.value
            #expect(backend?.requests == counts["\(name)-pod"], "\(name)")
            #expect(backend?.responsesByClass[1] == counts["\(name)-pod"], "\(name)")
            #expect(backend?.latencyBuckets.reduce(0, +) == counts["\(name)-pod"], "\(name)")
        }
        #expect(stats.first { $0.key.name == "infra-backend-v3" }?.value.requests ?? 0 == 0)
    }

    @Test("filters over h2: request and response header modifiers, redirects; hop-by-hop headers not forwarded")
    func filtersOverH2() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-request-header-modifier.yaml", "httproute-redirect-path.yaml"])
        defer { Task { await env.stop() } }
        let connection = try await HTTP2TestConnection.connect(port: await env.port())
        defer { Task { await connection.close() } }
        let set = try await connection.send("/set", host: "gateway.test", headers: [("Some-Other-Header", "val"), ("X-Header-Set", "some-other-value")])
        #expect(set.echo?.header("X-Header-Set") == "set-overwrites-values")
        #expect(set.echo?.header("Some-Other-Header") == "val")
        let add = try await connection.send("/add", host: "gateway.test", headers: [("X-Header-Add", "some-other-value")])
        #expect(add.echo?.header("X-Header-Add") == "some-other-value,add-appends-values")
        let remove = try await connection.send("/remove", host: "gateway.test", headers: [("X-Header-Remove", "val")])
        #expect(remove.status == 200)
        #expect(remove.echo?.header("X-Header-Remove") == nil)

        let redirect = try await connection.send("/original-prefix/lemon?keep=query", host: "gateway.test")
        #expect(redirect.status == 302)
        #expect(redirect.headers["location"] == ["http://gateway.test/replacement-prefix/lemon?keep=query"])
        let full = try await connection.send("/full/path/original", host: "gateway.test")
        #expect(full.status == 302)
        #expect(full.headers["location"] == ["http://gateway.test/full-path-replacement"])

        // `te: trailers` is the one connection-specific field HTTP/2 allows; it is not forwarded.
        // Cookies split into fields, as HTTP/2 clients do, reach the HTTP/1.1 backend as one.
        let hop = try await connection.send("/set", host: "gateway.test", headers: [("te", "trailers"), ("cookie", "a=1"), ("cookie", "b=2")])
        #expect(hop.status == 200)
        #expect(hop.echo?.header("te") == nil)
        let cookies = hop.echo?.headers.filter { $0.first?.lowercased() == "cookie" }.map { $0.last ?? "" }
        #expect(cookies == ["a=1; b=2"])
    }

    @Test("Expect: 100-continue on a stream is met by the proxy: an interim 100, the upstream does not see the expectation")
    func expectContinueOverH2() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-simple-same-namespace.yaml"])
        defer { Task { await env.stop() } }
        let connection = try await HTTP2TestConnection.connect(port: await env.port())
        defer { Task { await connection.close() } }
        let upload = try await connection.send("/upload", host: "gateway.test", method: .POST, headers: [("expect", "100-continue")], body: "payload")
        #expect(upload.informational == [100])
        #expect(upload.status == 200)
        #expect(upload.echo?.header("expect") == nil)
        #expect(upload.echo?.bodyLength == 7)
        let plain = try await connection.send("/plain", host: "gateway.test")
        #expect(plain.informational == [] && plain.status == 200)
    }

    @Test("ResponseHeaderModifier over h2: the backend's answer changed; no HTTP/1.1 framing headers reach the client")
    func responseHeadersOverH2() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-response-header-modifier.yaml"])
        defer { Task { await env.stop() } }
        let connection = try await HTTP2TestConnection.connect(port: await env.port())
        defer { Task { await connection.close() } }
        let set = try await connection.send("/set", host: "gateway.test", headers: [("X-Echo-Set-Header", "X-Header-Set:original")])
        #expect(set.headers["X-Header-Set"] == ["set-overwrites-values"])
        let add = try await connection.send("/add", host: "gateway.test", headers: [("X-Echo-Set-Header", "X-Header-Add:original")])
        #expect(add.headers["X-Header-Add"] == ["original", "add-appends-values"])
        // A backend's Connection/Keep-Alive describe its own hop: the HTTP/2 client never sees them.
        let hop = try await connection.send("/set", host: "gateway.test", headers: [("X-Echo-Set-Header", "Connection:keep-alive,Keep-Alive:timeout=5")])
        #expect(hop.status == 200)
        #expect(hop.headers["connection"].isEmpty)
        #expect(hop.headers["keep-alive"].isEmpty)
    }

    @Test("limits over h2: 431 past the header limit, a header list past the HTTP/2 limit refuses the connection")
    func headerLimits() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-simple-same-namespace.yaml"])
        defer { Task { await env.stop() } }
        let connection = try await HTTP2TestConnection.connect(port: await env.port())
        defer { Task { await connection.close() } }
        // The first exchange also completes the SETTINGS handshake, so the proxy's header list
        // size (twice the 32 KiB header limit) is in force for the next streams.
        let first = try await connection.send("/", host: "gw.test")
        #expect(first.status == 200)
        // Many equal fields: HPACK sends each repeat as one byte, so the HEADERS frame stays within
        // one frame (NIO's client cannot send CONTINUATION frames) while the list is large.
        let value = String(repeating: "v", count: 100)
        // 320 × (3 + 100 + 4) bytes ≈ 34 KB counted by the proxy's 32 KiB limit; ≈ 43 KB of the 64 KiB list.
        let large = try await connection.send("/large", host: "gw.test", headers: Array(repeating: ("x-h", value), count: 320))
        #expect(large.status == 431)
        let after = try await connection.send("/after", host: "gw.test")
        #expect(after.status == 200, "a 431 ends its stream, not the connection")
        // 500 × (3 + 100 + 32) bytes ≈ 67 KB: past the 64 KiB SETTINGS_MAX_HEADER_LIST_SIZE. The
        // proxy answers with GOAWAY and closes at once, not after the 60 s idle timeout (the bound
        // leaves a loaded machine room).
        let sent = ContinuousClock.now
        await #expect(throws: (any Error).self) {
            try await connection.send("/huge", host: "gw.test", headers: Array(repeating: ("x-h", value), count: 500))
        }
        let channel = connection.channel
        try await eventually(timeout: .seconds(30)) { !channel.isActive }
        #expect(sent.duration(to: .now) < .seconds(30))
        let paths = env.echo("infra-backend-v1")?.requests.map(\.path) ?? []
        #expect(paths == ["/", "/after"])
        // The listener serves the next connection.
        let next = try await Transport.h2c.get(port: await env.port(), "/next", host: "gw.test")
        #expect(next.status == 200)
    }

    @Test("concurrent stream limit: streams past SETTINGS_MAX_CONCURRENT_STREAMS wait for a free one")
    func concurrentStreamLimit() async throws {
        var configuration = ProxyConfiguration()
        configuration.http2.maxConcurrentStreams = 2
        let env = try await ConformanceEnvironment.start(["httproute-simple-same-namespace.yaml"], configuration: configuration)
        defer { Task { await env.stop() } }
        let connection = try await HTTP2TestConnection.connect(port: await env.port())
        defer { Task { await connection.close() } }
        _ = try await connection.send("/", host: "gw.test")
        let clock = ContinuousClock()
        let start = clock.now
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<4 {
                group.addTask { try await connection.send("/\(index)?delay=600ms", host: "gw.test").status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses == [200, 200, 200, 200])
        // Two at a time: at least two rounds of 600 ms.
        let elapsed = clock.now - start
        #expect(elapsed >= .milliseconds(1200), "four streams with a limit of two took \(elapsed)")
    }

    @Test("an idle HTTP/2 connection is closed after the idle timeout, but not while a stream is open")
    func idleTimeout() async throws {
        // Two seconds, as in the HTTP/1.1 idle test: on a loaded machine the answer can reach the
        // client well after the proxy's stream closed and its idle clock started.
        let timeout = Duration.seconds(2)
        let configuration = ProxyConfiguration(limits: .init(idleTimeout: .seconds(2)))
        let env = try await ConformanceEnvironment.start(["httproute-simple-same-namespace.yaml"], configuration: configuration)
        defer { Task { await env.stop() } }
        let connection = try await HTTP2TestConnection.connect(port: await env.port())
        defer { Task { await connection.close() } }
        // A stream open longer than the idle timeout keeps the connection.
        let slow = try await connection.send("/?delay=2500ms", host: "gw.test")
        #expect(slow.status == 200)
        let answered = ContinuousClock.now
        let channel = connection.channel
        try await Task.sleep(for: .milliseconds(500))
        // The state before the clock: a sleep that overshoots the timeout makes a close correct.
        let active = channel.isActive
        let elapsed = answered.duration(to: .now)
        #expect(active || elapsed >= timeout, "closed before the idle timeout")
        try await eventually(timeout: .seconds(6)) { !channel.isActive }
    }
}

/// curl (with nghttp2) as the HTTP/2 client the outside world uses.
enum Curl {
    struct Answer: CustomStringConvertible {
        var status: Int
        /// `2` or `1.1`, as curl reports `%{http_version}`.
        var version: String
        var body: String
        /// curl's standard error (with `-v`, the connection's story).
        var log: String

        var echo: EchoedRequest? { try? JSONDecoder().decode(EchoedRequest.self, from: Data(body.utf8)) }
        var description: String { "HTTP \(version) \(status): \(body.prefix(300)) \(log.suffix(300))" }
    }

    static func request(_ arguments: [String]) async throws -> Answer {
        let marker = "\n--curl-write-out--"
        let outcome = try await Shell.outcomeOnThread(
            ["curl", "-sS", "--max-time", "10", "-w", "\(marker)%{http_code} %{http_version}"] + arguments)
        guard outcome.status == 0, let range = outcome.output.range(of: marker, options: .backwards) else {
            throw Shell.Failure(command: ["curl"] + arguments, status: outcome.status, stderr: outcome.errorOutput)
        }
        let fields = outcome.output[range.upperBound...].split(separator: " ")
        return Answer(
            status: Int(fields.first ?? "") ?? 0, version: fields.count > 1 ? String(fields[1]) : "",
            body: String(outcome.output[..<range.lowerBound]), log: outcome.errorOutput)
    }
}
