import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOSSL
import SluiceModel
import Testing

@testable import SluiceProxy

/// The downstream handler in an EmbeddedChannel: answers the proxy makes itself, and the codec's
/// refusal of ambiguous framing. Forwarding is covered over real sockets in the conformance tests.
@Suite("Proxy handler (EmbeddedChannel)")
struct ProxyHandlerTests {
    static func channel(limits: ProxyConfiguration.Limits = .init()) throws -> EmbeddedChannel {
        let input = try RouteCompilerTests.input(["httproute-redirect-host-and-status.yaml", "httproute-invalid-nonexistent-backendref.yaml"])
        let table = RouteCompiler().compile(input).table
        var contexts: [TLSCertificate: NIOSSLContext] = [:]
        let tables = TableBox(try InstalledTable(table: table, stats: ProxyStats(), contexts: &contexts))
        let channel = EmbeddedChannel()
        let pool = UpstreamPool(eventLoop: channel.eventLoop, connectTimeout: .seconds(1), maxIdlePerEndpoint: 1)
        try HTTPPipeline(tables: tables, pool: pool, socket: ListenerSocket(port: 80), limits: limits).add(to: channel.pipeline.syncOperations)
        return channel
    }

    /// Feeds raw request bytes and returns everything written back.
    static func exchange(_ request: String, limits: ProxyConfiguration.Limits = .init()) throws -> String {
        let channel = try channel(limits: limits)
        // A parse error reaches the end of the pipeline (EmbeddedChannel rethrows it) after the
        // error handler has written its 400: what was written is what the client sees.
        _ = try? channel.writeInbound(ByteBuffer(string: request))
        var output = ""
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            output += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        _ = try? channel.finish()
        return output
    }

    @Test("a redirect is answered by the proxy with Location")
    func redirect() throws {
        let response = try Self.exchange("GET /hostname-redirect/x HTTP/1.1\r\nHost: gw.test\r\n\r\n")
        #expect(response.hasPrefix("HTTP/1.1 302"))
        #expect(response.contains("location: http://example.org/hostname-redirect/x\r\n"))
    }

    @Test("no route: 404; an invalid backend: 500")
    func notFoundAndInvalid() throws {
        // The redirect route matches only its prefixes; the invalid-backend route matches everything else.
        let invalid = try Self.exchange("GET /anything HTTP/1.1\r\nHost: gw.test\r\n\r\n")
        #expect(invalid.hasPrefix("HTTP/1.1 500"))
        let otherPort = try RouteCompilerTests.input([])
        let table = RouteCompiler().compile(otherPort).table
        #expect(table.decide(port: 80, host: "gw.test", method: "GET", uri: "/", headers: HTTPHeaders()).isNotFound)
    }

    @Test("Content-Length with Transfer-Encoding is refused with 400 (no smuggling)")
    func contentLengthAndChunked() throws {
        let response = try Self.exchange(
            "POST /hostname-redirect HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        #expect(response.hasPrefix("HTTP/1.1 400"))
    }

    @Test("two different Content-Lengths are refused with 400")
    func conflictingContentLength() throws {
        let response = try Self.exchange(
            "POST /hostname-redirect HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde")
        #expect(response.hasPrefix("HTTP/1.1 400"))
    }

    @Test("headers over the limit: 431; a request target over the limit: 414")
    func limits() throws {
        let limits = ProxyConfiguration.Limits(maxRequestTargetBytes: 100, maxHeaderBytes: 200)
        let big = String(repeating: "a", count: 300)
        let headers = try Self.exchange("GET /hostname-redirect HTTP/1.1\r\nHost: gw.test\r\nX-Big: \(big)\r\n\r\n", limits: limits)
        #expect(headers.hasPrefix("HTTP/1.1 431"))
        #expect(headers.contains("connection: close"))
        let target = try Self.exchange("GET /hostname-redirect/\(big) HTTP/1.1\r\nHost: gw.test\r\n\r\n", limits: limits)
        #expect(target.hasPrefix("HTTP/1.1 414"))
    }

    @Test("a connection idle past the idle timeout is closed; one in use is not")
    func idle() throws {
        let channel = try Self.channel(limits: .init(idleTimeout: .milliseconds(200)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try channel.writeInbound(ByteBuffer(string: "GET /hostname-redirect HTTP/1.1\r\nHost: gw.test\r\n\r\n"))
        #expect(try channel.readOutbound(as: ByteBuffer.self) != nil)
        (channel.eventLoop as? EmbeddedEventLoop)?.advanceTime(by: .milliseconds(100))
        #expect(channel.isActive)
        (channel.eventLoop as? EmbeddedEventLoop)?.advanceTime(by: .milliseconds(300))
        #expect(!channel.isActive)
    }

    @Test("keep-alive: two pipelined requests get two answers in order")
    func pipelined() throws {
        let response = try Self.exchange(
            "GET /hostname-redirect/1 HTTP/1.1\r\nHost: gw.test\r\n\r\nGET /host-and-status/2 HTTP/1.1\r\nHost: gw.test\r\n\r\n")
        let first = try #require(response.range(of: "HTTP/1.1 302"))
        let second = try #require(response.range(of: "HTTP/1.1 301"))
        #expect(first.lowerBound < second.lowerBound)
    }

    @Test("a head's first byte is what its latency counts from, on later requests only: a connection's first head was timed from the accept")
    func headFirstByte() throws {
        final class Holder: ChannelInboundHandler {
            typealias InboundIn = ByteBuffer
        }
        let channel = EmbeddedChannel(handler: Holder())
        let loop = channel.embeddedEventLoop
        let context = try channel.pipeline.syncOperations.context(handlerType: Holder.self)
        let deadline = HeaderReadDeadline(timeout: .seconds(10))
        deadline.start(context: context)
        // A pooled client connection may wait long before its first request.
        loop.advanceTime(by: .seconds(5))
        #expect(deadline.bytesArrived())
        #expect(deadline.headReceived() == nil)
        deadline.requestFinished()
        loop.advanceTime(by: .seconds(2))
        let arrival = loop.now
        #expect(deadline.bytesArrived())
        loop.advanceTime(by: .milliseconds(3))
        #expect(deadline.headReceived() == arrival)
        deadline.stop()
        _ = try? channel.finish()
    }
}

extension RouteDecision {
    var isNotFound: Bool {
        if case .notFound = self { return true }
        return false
    }
}
