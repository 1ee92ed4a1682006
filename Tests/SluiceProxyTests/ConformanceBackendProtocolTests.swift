import Testing

@testable import SluiceProxy

@Suite("Conformance: backend protocol h2c")
struct ConformanceBackendProtocolTests {
    @Test("HTTPRouteBackendProtocolH2C: a Service port with appProtocol kubernetes.io/h2c is spoken to over HTTP/2, from HTTP/1.1 and h2c clients", arguments: [Transport.http1, .h2c])
    func h2cBackend(over transport: Transport) async throws {
        let env = try await ConformanceEnvironment.start(["httproute-backend-protocol-h2c.yaml"])
        defer { Task { await env.stop() } }
        let conditions = env.routeConditions("backend-protocol-h2c", parent: "same-namespace")
        #expect(conditions["Accepted"]?.status == "True")
        #expect(conditions["ResolvedRefs"]?.status == "True")
        let response = try await transport.get(port: await env.port(), "/", host: "gateway.test")
        #expect(response.status == 200, "\(response.text)")
        #expect(response.echo?.pod == "infra-backend-v1-pod")
        #expect(response.echo?.version == "HTTP/2", "the backend was spoken to over \(response.echo?.version ?? "nothing")")
        #expect(response.echo?.path == "/")
        #expect(response.echo?.host == "gateway.test", "the Host became :authority")
    }

    @Test("h2c backends: past the backend's SETTINGS_MAX_CONCURRENT_STREAMS, streams go to another connection instead of waiting")
    func h2cStreamLimit() async throws {
        let limited = try await EchoServer.start(pod: "limited-pod", namespace: "gateway-conformance-infra", maxConcurrentStreams: 2)
        defer { Task { await limited.stop() } }
        let env = try await ConformanceEnvironment.start(["httproute-backend-protocol-h2c.yaml"]) { input in
            for index in input.endpointSlices.indices where input.endpointSlices[index].metadata.name == "infra-backend-v1-slice" {
                input.endpointSlices[index].ports = input.endpointSlices[index].ports?.map { EndpointSlice.Port(name: $0.name, port: limited.port) }
            }
        }
        defer { Task { await env.stop() } }
        let port = await env.port()
        // One exchange first: the connection's SETTINGS (a limit of 2) are known from then on.
        #expect(try await TestConnection.get(port: port, "/", host: "gateway.test").echo?.pod == "limited-pod")
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<6 {
                group.addTask { try await TestConnection.get(port: port, "/slow/\(index)?delay=400ms", host: "gateway.test").status }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 6))
        #expect(limited.connections == 3, "six streams at once on connections of two each")
        #expect(limited.requests.allSatisfy { $0.version == "HTTP/2" })
    }

    @Test("h2c backends: a kept-alive client's requests share one HTTP/2 connection, bodies pass both ways, a closed connection is replaced")
    func h2cConnectionReuse() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-backend-protocol-h2c.yaml"])
        defer { Task { await env.stop() } }
        let echo = try #require(env.echo("infra-backend-v1"))
        let connection = try await TestConnection.connect(port: await env.port())
        defer { Task { await connection.close() } }
        for index in 0..<20 {
            let body = String(repeating: "x", count: index * 1000)
            let response = try await connection.send("/upload/\(index)", host: "gateway.test", method: .POST, body: body)
            #expect(response.status == 200, "\(index): \(response.text)")
            #expect(response.echo?.version == "HTTP/2")
            #expect(response.echo?.path == "/upload/\(index)")
            #expect(response.echo?.bodyLength == body.utf8.count, "request \(index)")
        }
        #expect(echo.connections == 1, "one h2c connection for every stream")
        // More exchanges than a server lets a client reset streams in 30 s (NIO: 200): a stream
        // that has ended both ways is not reset at its close, so the connection is never sent
        // GOAWAY ENHANCE_YOUR_CALM.
        var failed: [Int] = []
        for index in 0..<250 where try await connection.send("/many/\(index)", host: "gateway.test").status != 200 {
            failed.append(index)
        }
        #expect(failed.isEmpty, "requests answered other than 200: \(failed)")
        #expect(echo.connections == 1, "still the one connection after 270 streams")

        // A chunked upload sent in pieces: the chunks become DATA frames, the response comes back
        // as HTTP/1.1 with the backend's length.
        let raw = try await RawConnection.connect(port: await env.port())
        defer { Task { await raw.close() } }
        try await raw.sendChunkedHelloWorld("/chunked", host: "gateway.test")
        #expect(try await raw.waitFor(#""bodyLength":11"#, timeout: .seconds(10)), "\(raw.received)")
        #expect(raw.received.hasPrefix("HTTP/1.1 200"))
        #expect(raw.received.lowercased().contains("content-length:"), "\(raw.received)")
        #expect(!raw.received.lowercased().contains("connection: close"), "the client's connection stays open")
        #expect(echo.requests.last?.version == "HTTP/2")

        // Requests side by side from several clients: streams of that one connection.
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { try await TestConnection.get(port: await env.port(), "/", host: "gateway.test").status }
            }
            for try await status in group { #expect(status == 200) }
        }
        #expect(echo.connections == 1)

        await echo.dropConnections()
        var statuses: [Int] = []
        for _ in 0..<3 where statuses.last != 200 {
            statuses.append(try await connection.send("/", host: "gateway.test").status)
        }
        #expect(statuses.last == 200, "after the backend closed its connection: \(statuses)")
        #expect(echo.connections == 2, "a new connection replaced the closed one")
    }
}
