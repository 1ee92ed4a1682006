import Testing

@Suite("Conformance: filters")
struct ConformanceFilterTests {
    @Test(
        "HTTPRouteRequestHeaderModifier / HTTPRouteBackendRequestHeaderModifier: set, add, remove, case-insensitive names, on the rule or on its backendRef",
        arguments: ["httproute-request-header-modifier.yaml", "httproute-request-header-modifier-backend.yaml"])
    func requestHeaders(manifest: String) async throws {
        let env = try await ConformanceEnvironment.start([manifest])
        defer { Task { await env.stop() } }
        let port = await env.port()
        let set = try await TestConnection.get(port: port, "/set", host: "gateway.test", headers: [("Some-Other-Header", "val"), ("X-Header-Set", "some-other-value")])
        #expect(set.echo?.header("X-Header-Set") == "set-overwrites-values")
        #expect(set.echo?.header("Some-Other-Header") == "val")
        let add = try await TestConnection.get(port: port, "/add", host: "gateway.test", headers: [("X-Header-Add", "some-other-value")])
        #expect(add.echo?.header("X-Header-Add") == "some-other-value,add-appends-values")
        let remove = try await TestConnection.get(port: port, "/remove", host: "gateway.test", headers: [("X-Header-Remove", "val")])
        #expect(remove.status == 200)
        #expect(remove.echo?.header("X-Header-Remove") == nil)
        let multiple = try await TestConnection.get(port: port, "/multiple", host: "gateway.test", headers: [
            ("X-Header-Set-2", "set-val-2"), ("X-Header-Add-2", "add-val-2"), ("X-Header-Remove-2", "remove-val-2"),
            ("Another-Header", "another-header-val"), ("X-Header-Remove-1", "remove-val-1"),
        ])
        #expect(multiple.echo?.header("X-Header-Set-1") == "header-set-1")
        #expect(multiple.echo?.header("X-Header-Set-2") == "header-set-2")
        #expect(multiple.echo?.header("X-Header-Add-1") == "header-add-1")
        #expect(multiple.echo?.header("X-Header-Add-2") == "add-val-2,header-add-2")
        #expect(multiple.echo?.header("X-Header-Add-3") == "header-add-3")
        #expect(multiple.echo?.header("Another-Header") == "another-header-val")
        #expect(multiple.echo?.header("X-Header-Remove-1") == nil)
        #expect(multiple.echo?.header("X-Header-Remove-2") == nil)
        let mixed = try await TestConnection.get(port: port, "/case-insensitivity", host: "gateway.test", headers: [
            ("x-header-set", "original-val-set"), ("x-header-add", "original-val-add"), ("x-header-remove", "original-val-remove"),
        ])
        #expect(mixed.echo?.header("X-Header-Set") == "header-set")
        #expect(mixed.echo?.header("X-Header-Add") == "original-val-add,header-add")
        #expect(mixed.echo?.header("X-Header-Remove") == nil)
    }

    @Test("HTTPRouteRequestHeaderModifierBackendWeights: each backendRef's own header, on the requests sent to it")
    func backendHeadersWithWeights() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-request-header-modifier-backend-weights.yaml"])
        defer { Task { await env.stop() } }
        let connection = try await TestConnection.connect(port: await env.port())
        defer { Task { await connection.close() } }
        var pods: Set<String> = []
        for _ in 0..<100 {
            let response = try await connection.send("/", host: "gateway.test")
            let echo = try #require(response.echo)
            #expect(echo.headers.filter { $0.first?.lowercased() == "backend" }.count == 1)
            let backend = try #require(echo.header("Backend"))
            #expect(echo.pod.hasPrefix(backend), "\(backend) set, \(echo.pod) answered")
            pods.insert(echo.pod)
        }
        // 10/10 weights: both get some of 100 requests (each misses all with chance 2^-100).
        #expect(pods == ["infra-backend-v1-pod", "infra-backend-v2-pod"])
    }

    @Test("HTTPRouteResponseHeaderModifier: set, add, remove on the backend's answer")
    func responseHeaders() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-response-header-modifier.yaml"])
        defer { Task { await env.stop() } }
        let port = await env.port()
        let set = try await TestConnection.get(port: port, "/set", host: "gateway.test", headers: [("X-Echo-Set-Header", "X-Header-Set:original")])
        #expect(set.headers["X-Header-Set"] == ["set-overwrites-values"])
        let add = try await TestConnection.get(port: port, "/add", host: "gateway.test", headers: [("X-Echo-Set-Header", "X-Header-Add:original")])
        #expect(add.headers["X-Header-Add"] == ["original", "add-appends-values"])
        let remove = try await TestConnection.get(port: port, "/remove", host: "gateway.test", headers: [("X-Echo-Set-Header", "X-Header-Remove:gone,X-Kept:kept")])
        #expect(remove.headers["X-Header-Remove"].isEmpty)
        #expect(remove.headers["X-Kept"] == ["kept"])
        let mixed = try await TestConnection.get(port: port, "/case-insensitivity", host: "gateway.test", headers: [("X-Echo-Set-Header", "x-header-set:original,x-header-remove:gone")])
        #expect(mixed.headers["X-Header-Set"] == ["header-set"])
        #expect(mixed.headers["X-Header-Remove"].isEmpty)
        #expect(mixed.headers["X-UPPERCASE-ADD"] == ["uppercase-add"])
        #expect(mixed.headers["x-lowercase-add"] == ["lowercase-add"])
    }

    @Test("HTTPRouteRedirectPath / HostAndStatus: Location and status from the filter")
    func redirects() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-redirect-path.yaml", "httproute-redirect-host-and-status.yaml"])
        defer { Task { await env.stop() } }
        let port = await env.port()
        let cases: [(String, Int, String)] = [
            ("/original-prefix/lemon", 302, "http://gateway.test/replacement-prefix/lemon"),
            ("/full/path/original", 302, "http://gateway.test/full-path-replacement"),
            ("/path-and-host", 302, "http://example.org/replacement-prefix"),
            ("/path-and-status", 301, "http://gateway.test/replacement-prefix"),
            ("/full-path-and-host", 302, "http://example.org/replacement-full"),
            ("/full-path-and-status", 301, "http://gateway.test/replacement-full"),
            ("/hostname-redirect", 302, "http://example.org/hostname-redirect"),
            ("/host-and-status", 301, "http://example.org/host-and-status"),
            ("/original-prefix/lemon?keep=query", 302, "http://gateway.test/replacement-prefix/lemon?keep=query"),
        ]
        for (path, status, location) in cases {
            let response = try await TestConnection.get(port: port, path, host: "gateway.test")
            #expect(response.status == status, "\(path)")
            #expect(response.headers["location"] == [location], "\(path)")
        }
    }

    @Test("HTTPRoute303Redirect / 307 / 308: the filter's status code")
    func redirectStatusCodes() async throws {
        let env = try await ConformanceEnvironment.start([
            "httproute-303-redirect.yaml", "httproute-307-redirect.yaml", "httproute-308-redirect.yaml",
        ])
        defer { Task { await env.stop() } }
        let port = await env.port()
        for (path, status) in [("/see-other", 303), ("/temporary", 307), ("/permanent", 308)] {
            let response = try await TestConnection.get(port: port, path, host: "gateway.test")
            #expect(response.status == status, "\(path)")
            #expect(response.headers["location"] == ["http://gateway.test\(path)"], "\(path)")
        }
    }

    @Test("HTTPRouteRedirectPort / HTTPRouteRedirectScheme: port and scheme alone, with a hostname, with a status")
    func redirectPortOrScheme() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-redirect-port.yaml", "httproute-redirect-scheme.yaml"])
        defer { Task { await env.stop() } }
        let port = await env.port()
        let cases: [(String, Int, String)] = [
            ("/port", 302, "http://gateway.test:8083/port"),
            ("/port-and-host", 302, "http://example.org:8083/port-and-host"),
            ("/port-and-status", 301, "http://gateway.test:8083/port-and-status"),
            ("/port-and-host-and-status", 302, "http://example.org:8083/port-and-host-and-status"),
            ("/scheme", 302, "https://gateway.test/scheme"),
            ("/scheme-and-host", 302, "https://example.org/scheme-and-host"),
            ("/scheme-and-status", 301, "https://gateway.test/scheme-and-status"),
            ("/scheme-and-host-and-status", 302, "https://example.org/scheme-and-host-and-status"),
        ]
        for (path, status, location) in cases {
            let response = try await TestConnection.get(port: port, path, host: "gateway.test")
            #expect(response.status == status, "\(path)")
            #expect(response.headers["location"] == [location], "\(path)")
        }
    }

    @Test("HTTPRouteRedirectPortAndScheme: ports derived from scheme or listener, well-known ports left out")
    func redirectPortAndScheme() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-redirect-port-and-scheme.yaml"])
        defer { Task { await env.stop() } }
        let http80: [(String, String)] = [
            ("/scheme-nil-and-port-nil", "http://example.org/scheme-nil-and-port-nil"),
            ("/scheme-nil-and-port-80", "http://example.org/scheme-nil-and-port-80"),
            ("/scheme-nil-and-port-8080", "http://example.org:8080/scheme-nil-and-port-8080"),
            ("/scheme-https-and-port-nil", "https://example.org/scheme-https-and-port-nil"),
            ("/scheme-https-and-port-443", "https://example.org/scheme-https-and-port-443"),
            ("/scheme-https-and-port-8443", "https://example.org:8443/scheme-https-and-port-8443"),
        ]
        let http8080: [(String, String)] = [
            ("/scheme-nil-and-port-nil", "http://example.org:8080/scheme-nil-and-port-nil"),
            ("/scheme-nil-and-port-80", "http://example.org/scheme-nil-and-port-80"),
            ("/scheme-https-and-port-nil", "https://example.org/scheme-https-and-port-nil"),
        ]
        for (listener, cases) in [(80, http80), (8080, http8080)] {
            let port = await env.port(listener)
            for (path, location) in cases {
                let response = try await TestConnection.get(port: port, path, host: "gateway.test")
                #expect(response.status == 302, "\(listener)\(path)")
                #expect(response.headers["location"] == [location], "\(listener)\(path)")
            }
        }
        let material = try TestCertificates.shared.get()
        let https: [(String, String)] = [
            ("/scheme-nil-and-port-nil", "https://example.org/scheme-nil-and-port-nil"),
            ("/scheme-nil-and-port-443", "https://example.org/scheme-nil-and-port-443"),
            ("/scheme-nil-and-port-8443", "https://example.org:8443/scheme-nil-and-port-8443"),
            ("/scheme-http-and-port-nil", "http://example.org/scheme-http-and-port-nil"),
            ("/scheme-http-and-port-80", "http://example.org/scheme-http-and-port-80"),
            ("/scheme-http-and-port-8080", "http://example.org:8080/scheme-http-and-port-8080"),
        ]
        let port443 = await env.port(443)
        for (path, location) in https {
            let response = try await TestConnection.get(port: port443, path, host: "example.org", tls: ("example.org", material.caPEM))
            #expect(response.status == 302, "443\(path)")
            #expect(response.headers["location"] == [location], "443\(path)")
        }
    }

    @Test("HTTPRouteRewritePath: ReplacePrefixMatch and ReplaceFullPath, with header changes")
    func rewritePath() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-rewrite-path.yaml"])
        defer { Task { await env.stop() } }
        let port = await env.port()
        let cases: [(String, String)] = [
            ("/prefix/one/two", "/one/two"),
            ("/full/one/two", "/one"),
            ("/full/rewrite-path-and-modify-headers/test", "/test"),
            ("/prefix/rewrite-path-and-modify-headers/one", "/prefix/one"),
            ("/strip-prefix/three", "/three"),
            ("/strip-prefix", "/"),
            ("/prefix/one/two?q=1", "/one/two?q=1"),
        ]
        for (path, upstream) in cases {
            let response = try await TestConnection.get(port: port, path, host: "gateway.test", headers: [
                ("X-Header-Remove", "remove-val"), ("X-Header-Add-Append", "append-val-1"), ("X-Header-Set", "set-val"),
            ])
            #expect(response.echo?.path == upstream, "\(path)")
            #expect(response.echo?.pod == "infra-backend-v1-pod", "\(path)")
            if path.contains("modify-headers") {
                #expect(response.echo?.header("X-Header-Add") == "header-val-1")
                #expect(response.echo?.header("X-Header-Add-Append") == "append-val-1,header-val-2")
                #expect(response.echo?.header("X-Header-Set") == "set-overwrites-values")
                #expect(response.echo?.header("X-Header-Remove") == nil)
            }
        }
    }

    @Test("HTTPRouteRewriteHost: the backend sees the rewritten Host")
    func rewriteHost() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-rewrite-host.yaml"])
        defer { Task { await env.stop() } }
        let port = await env.port()
        let one = try await TestConnection.get(port: port, "/one", host: "rewrite.example")
        #expect(one.echo?.host == "one.example.org")
        #expect(one.echo?.pod == "infra-backend-v1-pod")
        let other = try await TestConnection.get(port: port, "/", host: "rewrite.example")
        #expect(other.echo?.host == "example.org")
        #expect(other.echo?.pod == "infra-backend-v2-pod")
        let both = try await TestConnection.get(port: port, "/rewrite-host-and-modify-headers", host: "rewrite.example", headers: [("X-Header-Remove", "x")])
        #expect(both.echo?.host == "test.example.org")
        #expect(both.echo?.header("X-Header-Set") == "set-overwrites-values")
        #expect(both.echo?.header("X-Header-Remove") == nil)
    }

    @Test("HTTPRouteRequestMirror: the mirror backend gets a copy, with the rule's header changes")
    func mirror() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-request-mirror.yaml"])
        defer { Task { await env.stop() } }
        let port = await env.port()
        let response = try await TestConnection.get(port: port, "/mirror", host: "gateway.test")
        #expect(response.echo?.pod == "infra-backend-v1-pod")
        let modified = try await TestConnection.get(port: port, "/mirror-and-modify-headers", host: "gateway.test", headers: [("X-Header-Remove", "x")])
        #expect(modified.echo?.header("X-Header-Set") == "set-overwrites-values")
        let mirrorEcho = try #require(env.echo("infra-backend-v2"))
        try await eventually { mirrorEcho.requests.count == 2 }
        let copies = mirrorEcho.requests
        #expect(Set(copies.map(\.path)) == ["/mirror", "/mirror-and-modify-headers"])
        let copy = try #require(copies.first { $0.path == "/mirror-and-modify-headers" })
        #expect(copy.header("X-Header-Set") == "set-overwrites-values")
        #expect(copy.header("X-Header-Add") == "header-val-1")
        #expect(copy.header("X-Header-Remove") == nil)
    }

    @Test("HTTPRouteRequestMultipleMirrors: every mirror gets a copy, with the rule's header changes")
    func multipleMirrors() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-request-multiple-mirrors.yaml"])
        defer { Task { await env.stop() } }
        let port = await env.port()
        let plain = try await TestConnection.get(port: port, "/multi-mirror", host: "gateway.test")
        #expect(plain.echo?.pod == "infra-backend-v1-pod")
        #expect(plain.echo?.path == "/multi-mirror")
        let modified = try await TestConnection.get(port: port, "/multi-mirror-and-modify-request-headers", host: "gateway.test", headers: [
            ("X-Header-Remove", "remove-val"), ("X-Header-Add-Append", "append-val-1"),
        ])
        #expect(modified.echo?.pod == "infra-backend-v1-pod")
        for name in ["infra-backend-v2", "infra-backend-v3"] {
            let mirrorEcho = try #require(env.echo(name))
            try await eventually { mirrorEcho.requests.count == 2 }
            #expect(Set(mirrorEcho.requests.map(\.path)) == ["/multi-mirror", "/multi-mirror-and-modify-request-headers"], "\(name)")
            let copy = try #require(mirrorEcho.requests.first { $0.path == "/multi-mirror-and-modify-request-headers" })
            #expect(copy.header("X-Header-Add") == "header-val-1", "\(name)")
            #expect(copy.header("X-Header-Add-Append") == "append-val-1,header-val-2", "\(name)")
            #expect(copy.header("X-Header-Set") == "set-overwrites-values", "\(name)")
            #expect(copy.header("X-Header-Remove") == nil, "\(name)")
        }
        #expect(modified.echo?.header("X-Header-Add-Append") == "append-val-1,header-val-2")
        #expect(modified.echo?.header("X-Header-Remove") == nil)
    }

    @Test("HTTPRouteRequestPercentageMirror: about the given share is mirrored")
    func percentageMirror() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-request-percentage-mirror.yaml"])
        defer { Task { await env.stop() } }
        let connection = try await TestConnection.connect(port: await env.port())
        defer { Task { await connection.close() } }
        let total = 1000
        for _ in 0..<total {
            let response = try await connection.send("/percent-mirror", host: "gateway.test")
            #expect(response.echo?.pod == "infra-backend-v1-pod")
        }
        for _ in 0..<total { _ = try await connection.send("/percent-mirror-fraction", host: "gateway.test") }
        let mirrorEcho = try #require(env.echo("infra-backend-v2"))
        try await Task.sleep(for: .milliseconds(300))
        let percent = mirrorEcho.requests.filter { $0.path == "/percent-mirror" }.count
        let fraction = mirrorEcho.requests.filter { $0.path == "/percent-mirror-fraction" }.count
        // 20% and 25/50 of 1000: 4 sigma bands of a binomial pick.
        #expect((200 - 51)...(200 + 51) ~= percent, "mirrored \(percent) of \(total) at 20%")
        #expect((500 - 64)...(500 + 64) ~= fraction, "mirrored \(fraction) of \(total) at 50%")
    }
}

/// Waits until `condition` holds (checked every 10 ms, up to `timeout`).
func eventually(timeout: Duration = .seconds(5), _ condition: @Sendable () -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while !condition() {
        if clock.now > deadline {
            Issue.record("condition not met within \(timeout)")
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}
