import NIOCore
import NIOEmbedded
import NIOSSL
import SluiceModel
import Testing

@testable import SluiceProxy

/// The first bytes of a plain connection choose HTTP/1.1 or h2c, however they are split.
@Suite("Cleartext protocol detection (EmbeddedChannel)")
struct CleartextProtocolDetectorTests {
    static func channel(headerReadTimeout: TimeAmount = .seconds(10)) throws -> EmbeddedChannel {
        let input = try RouteCompilerTests.input(["httproute-redirect-host-and-status.yaml"])
        let table = RouteCompiler().compile(input).table
        var contexts: [TLSCertificate: NIOSSLContext] = [:]
        let tables = TableBox(try InstalledTable(table: table, stats: ProxyStats(), contexts: &contexts))
        let channel = EmbeddedChannel()
        let pool = UpstreamPool(eventLoop: channel.eventLoop, connectTimeout: .seconds(1), maxIdlePerEndpoint: 1)
        try HTTPPipeline(tables: tables, pool: pool, socket: ListenerSocket(port: 80), limits: .init(headerReadTimeout: headerReadTimeout)).addCleartext(to: channel)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    static func written(_ channel: EmbeddedChannel) throws -> [UInt8] {
        var output: [UInt8] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            output += buffer.readBytes(length: buffer.readableBytes) ?? []
        }
        return output
    }

    @Test("HTTP/1.1 split after its first byte is served over HTTP/1.1, every byte kept")
    func http1() throws {
        let channel = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: "G"))
        try channel.writeInbound(ByteBuffer(string: "ET /hostname-redirect/x HTTP/1.1\r\nHost: gw.test\r\n\r\n"))
        // The detector leaves the pipeline in a task of the event loop, then hands on the bytes.
        channel.embeddedEventLoop.run()
        let response = String(decoding: try Self.written(channel), as: UTF8.self)
        #expect(response.hasPrefix("HTTP/1.1 302"), "\(response)")
        #expect(response.contains("location: http://example.org/hostname-redirect/x\r\n"))
        _ = try? channel.finish()
    }

    @Test("a request that starts like the preface (PRI ...) but is not it goes to HTTP/1.1")
    func nearPreface() throws {
        let channel = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: "PRI * HTTP/1.1\r\nHost: gw.test\r\n\r\n"))
        channel.embeddedEventLoop.run()
        let response = String(decoding: try Self.written(channel), as: UTF8.self)
        #expect(response.hasPrefix("HTTP/1.1 "), "\(response)")
        _ = try? channel.finish()
    }

    @Test("the HTTP/2 preface in pieces starts HTTP/2: the proxy answers with its SETTINGS")
    func h2c() throws {
        let channel = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: "PRI * HTTP/2.0\r\n"))
        #expect(try Self.written(channel).isEmpty, "decided before the preface was complete")
        // The rest of the preface and an empty SETTINGS frame from the client.
        var rest = ByteBuffer(string: "\r\nSM\r\n\r\n")
        rest.writeBytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
        try channel.writeInbound(rest)
        let output = try Self.written(channel)
        // A frame header: 24-bit length, type 4 (SETTINGS), flags 0, stream 0.
        #expect(output.count >= 9 && output[3] == 4 && output[4] == 0, "\(output.prefix(16))")
        // MAX_CONCURRENT_STREAMS (3) = 100 among the settings.
        let settings = stride(from: 9, to: 9 + Int(output[2]), by: 6).map { offset in
            (Int(output[offset]) << 8 | Int(output[offset + 1]),
             output[(offset + 2)...(offset + 5)].reduce(0) { $0 << 8 | Int($1) })
        }
        #expect(settings.contains { $0 == (3, 100) }, "\(settings)")
        #expect(settings.contains { $0 == (6, 65536) }, "\(settings)")
        _ = try? channel.finish()
    }

    @Test("a connection that sends nothing is answered 408 and closed at the header-read deadline")
    func silence() throws {
        let channel = try Self.channel(headerReadTimeout: .seconds(5))
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        let answer = try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) }
        #expect(answer?.hasPrefix("HTTP/1.1 408") == true, "\(answer ?? "nothing")")
        #expect(!channel.isActive)
    }
}
