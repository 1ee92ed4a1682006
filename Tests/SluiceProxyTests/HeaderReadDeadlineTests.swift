import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing

@testable import SluiceProxy

/// The header-read deadline over real sockets: a request head must arrive whole within
/// `headerReadTimeout`, or the client gets 408 and the connection is closed.
@Suite("Header-read deadline over sockets")
struct HeaderReadDeadlineTests {
    /// Three seconds: on a loaded machine (a full `swift test` beside other builds) the gap between
    /// a prompt client's connect and its request must not reach it, or the proxy rightly cuts it.
    static let timeout = Duration.seconds(3)
    static let configuration = ProxyConfiguration(limits: .init(headerReadTimeout: .seconds(3)))

    @Test("a head trickled byte by byte is answered 408 and closed once the deadline passes")
    func trickledHead() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-simple-same-namespace.yaml"], configuration: Self.configuration)
        defer { Task { await env.stop() } }
        let port = await env.port()
        // The deadline runs from the accept, which comes before the connect returns here.
        let started = ContinuousClock.now
        let connection = try await RawConnection.connect(port: port)
        try await connection.send("GET / HTTP/1.1\r\nHost: gw.test\r\n")
        // Keep trickling a header for longer than the deadline: the trickle itself must not
        // extend it (that is what slowloris relies on).
        var sent = 0
        while connection.isOpen, started.duration(to: .now) < Self.timeout * 5 {
            try? await connection.send(sent == 0 ? "X-Slow: " : "a")
            sent += 1
            try await Task.sleep(for: .milliseconds(200))
        }
        let elapsed = started.duration(to: .now)
        #expect(!connection.isOpen, "still open after \(elapsed)")
        #expect(elapsed >= Self.timeout, "closed after \(elapsed), before the deadline")
        #expect(connection.received.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"), "\(connection.received)")
        let echo = try #require(env.echo("infra-backend-v1"))
        #expect(echo.requests.isEmpty, "the partial request reached the backend")
    }

    @Test("a connection that sends nothing is answered 408 after the deadline")
    func silentConnection() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-simple-same-namespace.yaml"], configuration: Self.configuration)
        defer { Task { await env.stop() } }
        let port = await env.port()
        let started = ContinuousClock.now
        let connection = try await RawConnection.connect(port: port)
        #expect(try await connection.waitUntilClosed(timeout: .seconds(20)), "still open after 20 s")
        let elapsed = started.duration(to: .now)
        #expect(elapsed >= Self.timeout, "closed after \(elapsed)")
        #expect(connection.received.hasPrefix("HTTP/1.1 408"), "\(connection.received)")
    }

    @Test("between requests of a keep-alive connection the deadline does not run; the idle timeout does")
    func keepAliveIsNotTimedOut() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-simple-same-namespace.yaml"], configuration: Self.configuration)
        defer { Task { await env.stop() } }
        let (connection, first) = try await TestConnection.connect(port: await env.port(), sending: "/first", host: "gw.test")
        defer { Task { await connection.close() } }
        #expect(first.status == 200)
        try await Task.sleep(for: Self.timeout + .seconds(1))
        #expect(connection.channel.isActive, "an idle keep-alive connection was closed by the header deadline")
        let second = try await connection.send("/second", host: "gw.test")
        #expect(second.status == 200 && second.echo?.path == "/second")
    }

    @Test("on an EmbeddedChannel: 408 exactly at the deadline, and a whole head stops the clock")
    func deadlineOnVirtualTime() throws {
        let partial = try ProxyHandlerTests.channel(limits: .init(headerReadTimeout: .seconds(10)))
        let loop = try #require(partial.eventLoop as? EmbeddedEventLoop)
        try partial.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try partial.writeInbound(ByteBuffer(string: "GET /hostname-redirect HTTP/1.1\r\nHost: gw"))
        loop.advanceTime(by: .milliseconds(9_999))
        #expect(partial.isActive)
        #expect(try partial.readOutbound(as: ByteBuffer.self) == nil)
        loop.advanceTime(by: .milliseconds(1))
        let answer = try #require(try partial.readOutbound(as: ByteBuffer.self))
        #expect(String(buffer: answer).hasPrefix("HTTP/1.1 408"))
        #expect(!partial.isActive)

        let whole = try ProxyHandlerTests.channel(limits: .init(headerReadTimeout: .seconds(10)))
        let wholeLoop = try #require(whole.eventLoop as? EmbeddedEventLoop)
        try whole.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try whole.writeInbound(ByteBuffer(string: "GET /hostname-redirect HTTP/1.1\r\nHost: gw.test\r\n\r\n"))
        var redirect = ""
        while let part = try whole.readOutbound(as: ByteBuffer.self) { redirect += String(buffer: part) }
        #expect(redirect.hasPrefix("HTTP/1.1 302"))
        wholeLoop.advanceTime(by: .seconds(30))
        #expect(whole.isActive, "a keep-alive connection between requests was cut by the header deadline")
        #expect(try whole.readOutbound(as: ByteBuffer.self) == nil)
    }

    @Test("a prompt client is served while slow ones are cut off")
    func promptClientsAreServed() async throws {
        // Longer here: twenty prompt clients in a row on a loaded machine.
        let configuration = ProxyConfiguration(limits: .init(headerReadTimeout: .seconds(6)))
        let env = try await ConformanceEnvironment.start(["httproute-simple-same-namespace.yaml"], configuration: configuration)
        defer { Task { await env.stop() } }
        let port = await env.port()
        var slow: [RawConnection] = []
        // Each connection's first bytes go out as it connects: under a full suite's load the test
        // task may wait for a core longer than the deadline, and a prompt client must not look slow.
        for _ in 0..<50 {
            slow.append(try await RawConnection.connect(port: port, sending: "GET / HTTP/1.1\r\nHost: gw.test\r\n"))
        }
        for index in 0..<20 {
            let (connection, response) = try await TestConnection.connect(port: port, sending: "/prompt\(index)", host: "gw.test")
            await connection.close()
            #expect(response.status == 200)
        }
        for connection in slow { #expect(try await connection.waitUntilClosed(timeout: .seconds(20)), "still open after 20 s") }
        #expect(slow.allSatisfy { $0.received.hasPrefix("HTTP/1.1 408") })
    }
}
