import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceModel
import Testing

@testable import SluiceProxy

/// WebSocket through the proxy: the handshake forwarded with its own `Connection` and `Upgrade`,
/// then a tunnel between the client and a real WebSocket server (NIO's upgrader) until either
/// closes. Other upgrades are not forwarded, and a 101 nobody asked for is refused.
@Suite("WebSocket upgrades")
struct ProxyWebSocketTests {
    static let handshake = """
        GET /chat?room=1 HTTP/1.1\r\nHost: a.test\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n
        """

    /// Everything routed to a WebSocket echo server.
    static func start(configuration: ProxyConfiguration = ProxyConfiguration()) async throws -> (ConformanceEnvironment, WebSocketEchoServer) {
        let upstream = try await WebSocketEchoServer.start()
        return (try await ConformanceEnvironment.routingEverything(toUpstreamPort: upstream.port, configuration: configuration), upstream)
    }

    @Test("a handshake through the proxy: 101 with the server's accept key, frames both ways, the client's close ends both connections")
    func tunnel() async throws {
        let (env, upstream) = try await Self.start()
        defer { Task { await env.stop(); await upstream.stop() } }
        let client = try await RawConnection.connect(port: await env.port())
        // A frame sent right behind the handshake, before the 101, reaches the server too.
        try await client.send(bytes: Array(Self.handshake.utf8) + maskedFrame(opcode: 0x1, "early"))
        #expect(try await client.waitFor("early", timeout: .seconds(5)), "\(client.received.debugDescription)")
        let answer = client.received.lowercased()
        #expect(answer.hasPrefix("http/1.1 101 switching protocols\r\n"), "\(answer.debugDescription)")
        #expect(answer.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=\r\n"), "\(answer.debugDescription)")
        #expect(answer.contains("connection: upgrade\r\n") && answer.contains("upgrade: websocket\r\n"), "\(answer.debugDescription)")
        try await client.send(bytes: maskedFrame(opcode: 0x1, "hello through the tunnel"))
        #expect(try await client.waitFor("hello through the tunnel", timeout: .seconds(5)))
        let head = try #require(upstream.acceptedHandshakes.first)
        #expect(head.uri == "/chat?room=1")
        #expect(head.headers["upgrade"] == ["websocket"])
        #expect(head.headers["connection"] == ["upgrade"])
        #expect(head.headers["sec-websocket-key"] == ["dGhlIHNhbXBsZSBub25jZQ=="])
        await client.close()
        try await eventually { upstream.openConnections == 0 }
        let stats = env.proxy.stats.snapshot()
        #expect(stats.values.contains { $0.requests == 1 }, "\(stats)")
    }

    @Test("a tunnel keeps no routing table: the one it was routed by goes at the next reload, and the tunnel still relays")
    func tunnelHoldsNoTable() async throws {
        let (env, upstream) = try await Self.start()
        defer { Task { await env.stop(); await upstream.stop() } }
        weak let routedBy = env.proxy.tables.current
        let client = try await RawConnection.connect(port: await env.port())
        try await client.send(Self.handshake)
        #expect(try await client.waitFor("\r\n\r\n", timeout: .seconds(5)))
        #expect(client.received.lowercased().hasPrefix("http/1.1 101"), "\(client.received.debugDescription)")
        _ = try await env.proxy.install(env.output.table)
        try await eventually { routedBy == nil }
        try await client.send(bytes: maskedFrame(opcode: 0x1, "after the reload"))
        #expect(try await client.waitFor("after the reload", timeout: .seconds(5)))
        await client.close()
    }

    @Test("HTTPRouteBackendProtocolWebSocket: a text and a binary message echoed through the route to the ws port")
    func backendProtocolWebSocket() async throws {
        let upstream = try await WebSocketEchoServer.start()
        let env = try await ConformanceEnvironment.start(["httproute-backend-protocol-websocket.yaml"]) { input in
            // The Service port with appProtocol kubernetes.io/ws is the WebSocket server.
            for index in input.endpointSlices.indices where input.endpointSlices[index].metadata.name == "infra-backend-v1-slice" {
                input.endpointSlices[index].ports = input.endpointSlices[index].ports?.map {
                    $0.name == "third-port" ? EndpointSlice.Port(name: $0.name, port: upstream.port) : $0
                }
            }
        }
        defer { Task { await env.stop(); await upstream.stop() } }
        #expect(env.routeConditions("backend-protocol-ws")["ResolvedRefs"]?.status == "True")
        let client = try await RawConnection.connect(port: await env.port())
        defer { Task { await client.close() } }
        try await client.send(Self.handshake.replacingOccurrences(of: "/chat?room=1", with: "/ws"))
        #expect(try await client.waitFor("\r\n\r\n", timeout: .seconds(5)))
        let headLength = client.receivedBytes.count
        let text = Array("Websocket Support!".utf8)
        let binary: [UInt8] = [1, 2, 3, 4, 5, 6, 7]
        try await client.send(bytes: maskedFrame(opcode: 0x1, bytes: text))
        try await client.send(bytes: maskedFrame(opcode: 0x2, bytes: binary))
        let expected = [0x81, UInt8(text.count)] + text + [0x82, UInt8(binary.count)] + binary
        try await eventually { client.receivedBytes.count >= headLength + expected.count }
        #expect(Array(client.receivedBytes.dropFirst(headLength)) == expected)
        #expect(upstream.acceptedHandshakes.first?.uri == "/ws")
    }

    @Test("backpressure: a client that stops reading holds the upstream back; reading again lets it all through")
    func backpressure() async throws {
        let total = 96 * 1024 * 1024
        let upstream = try await FloodingUpstream.start(total: total)
        let env = try await ConformanceEnvironment.routingEverything(toUpstreamPort: upstream.port)
        defer { Task { await env.stop(); await upstream.stop() } }
        let received = NIOLockedValueBox(0)
        let client = try await connectNonReadingClient(port: await env.port(), counting: received)
        defer { client.close(promise: nil) }
        try await client.writeAndFlush(ByteBuffer(string: Self.handshake))
        // The client reads nothing: what the upstream gets out is what the sockets between hold
        // (a few MiB each on loopback), not all it has to send.
        try await Task.sleep(for: .seconds(2))
        let held = upstream.bytesSent
        #expect(held < total / 2, "the upstream sent \(held) of \(total) bytes to a client that reads nothing")
        try await client.setOption(.autoRead, value: true).get()
        try await eventually(timeout: .seconds(20)) { received.withLockedValue { $0 } >= total }
        #expect(upstream.bytesSent == total)
    }

    @Test("backpressure the other way: an upstream that stops reading holds the client back")
    func backpressureUpstream() async throws {
        let upstream = try await FloodingUpstream.start(total: 0, stopsReading: true)
        let env = try await ConformanceEnvironment.routingEverything(toUpstreamPort: upstream.port)
        defer { Task { await env.stop(); await upstream.stop() } }
        let client = try await RawConnection.connect(port: await env.port())
        defer { Task { await client.close() } }
        try await client.send(Self.handshake)
        #expect(try await client.waitFor("\r\n\r\n", timeout: .seconds(5)))
        // The client writes 96 MiB; what gets out of it is what the sockets between hold.
        let written = try await flood(client.channel, bytes: 96 * 1024 * 1024)
        try await Task.sleep(for: .seconds(2))
        let out = written.withLockedValue { $0 }
        #expect(out < 48 * 1024 * 1024, "the client got \(out) bytes out to an upstream that reads nothing")
    }

    @Test("the server's close ends the client's connection")
    func serverCloses() async throws {
        let (env, upstream) = try await Self.start()
        defer { Task { await env.stop(); await upstream.stop() } }
        let client = try await RawConnection.connect(port: await env.port())
        try await client.send(Self.handshake)
        #expect(try await client.waitFor("\r\n\r\n", timeout: .seconds(5)))
        try await client.send(bytes: maskedFrame(opcode: 0x8, "bye"))
        #expect(try await client.waitUntilClosed(timeout: .seconds(5)))
    }

    @Test("a tunnel with nothing passing either way is closed after the idle timeout")
    func idleTunnel() async throws {
        var configuration = ProxyConfiguration()
        // Long enough that a test task starved by a busy machine still keeps the tunnel busy (2 s
        // was not, once, with a fresh-clone CI run and other builds sharing the 2 cores).
        configuration.limits.idleTimeout = .seconds(4)
        let (env, upstream) = try await Self.start(configuration: configuration)
        defer { Task { await env.stop(); await upstream.stop() } }
        let client = try await RawConnection.connect(port: await env.port())
        try await client.send(Self.handshake)
        // Traffic keeps it open past the timeout...
        let clock = ContinuousClock()
        let start = clock.now
        var index = 0
        while clock.now - start < .seconds(5) {
            try await client.send(bytes: maskedFrame(opcode: 0x1, "ping \(index)"))
            #expect(try await client.waitFor("ping \(index)", timeout: .seconds(2)))
            try await Task.sleep(for: .milliseconds(300))
            index += 1
        }
        #expect(client.isOpen)
        // ...silence does not.
        #expect(try await client.waitUntilClosed(timeout: .seconds(10)))
        try await eventually { upstream.openConnections == 0 }
    }

    @Test("an upgrade to anything but WebSocket is not forwarded: the upstream gets a plain request")
    func otherUpgrades() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-simple-same-namespace.yaml"])
        defer { Task { await env.stop() } }
        let port = await env.port()
        let h2c = try await TestConnection.get(port: port, "/", host: "a.test", headers: [
            ("Upgrade", "h2c"), ("Connection", "Upgrade, HTTP2-Settings"), ("HTTP2-Settings", "AAMAAABkAAQCAAAAAAIAAAAA"),
        ])
        #expect(h2c.status == 200)
        #expect(h2c.echo?.header("Upgrade") == nil)
        #expect(h2c.echo?.header("Connection") == nil)
        #expect(h2c.echo?.header("HTTP2-Settings") == nil)
        // A WebSocket handshake the upstream answers as a plain request: the answer comes back and
        // the connection goes on serving HTTP.
        let connection = try await TestConnection.connect(port: port)
        defer { Task { await connection.close() } }
        let declined = try await connection.send("/", host: "a.test", headers: [("Upgrade", "websocket"), ("Connection", "Upgrade")])
        #expect(declined.status == 200)
        #expect(declined.echo?.header("Upgrade") == "websocket")
        #expect(declined.echo?.header("Connection") == "upgrade")
        let next = try await connection.send("/next", host: "a.test")
        #expect(next.echo?.path == "/next")
        #expect(next.echo?.header("Upgrade") == nil)
        // Not a GET, or HTTP/1.0: no handshake (RFC 6455 4.1).
        let post = try await connection.send("/", host: "a.test", method: .POST, headers: [("Upgrade", "websocket"), ("Connection", "Upgrade")])
        #expect(post.echo?.header("Upgrade") == nil)
    }

    @Test("101 to a request that did not ask to upgrade: 502; to one that did, the bytes behind it are relayed")
    func unaskedSwitch() async throws {
        let (env, upstream) = try await HTTP1FramingTests.start()
        defer { Task { await env.stop(); await upstream.stop() } }
        let unasked = try await TestConnection.get(port: await env.port(), "/switch", host: "a.test")
        #expect(unasked.status == 502)
        let client = try await RawConnection.connect(port: await env.port())
        defer { Task { await client.close() } }
        try await client.send("GET /switch HTTP/1.1\r\nHost: a.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
        #expect(try await client.waitFor("tunnel bytes", timeout: .seconds(5)))
        #expect(client.received == "HTTP/1.1 101 Switching Protocols\r\nX-Kind: switch\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\ntunnel bytes")
    }
}
