import NIOCore
import NIOHTTP1
import Testing

@testable import SluiceProxy

/// The upstream response reader: framing, strictness, and the bytes a head is forwarded as.
@Suite("Upstream response parser")
struct UpstreamResponseParserTests {
    /// What a response came to: its status, the body's bytes, trailer names, and whether the
    /// connection may be kept; each part counted.
    struct Read: Equatable {
        var status = 0
        var body = ""
        var trailers: [String] = []
        var keepAlive = false
        var ends = 0
        /// Bytes after a 101, handed over as they are.
        var tunnel = ""
    }

    /// Parses `text` as answers to `methods`, fed in pieces of `piece` bytes (0: all at once).
    static func read(
        _ text: String, methods: [HTTPMethod] = [.GET], upgrade: Bool = false, piece: Int = 0, closed: Bool = false
    ) throws -> [Read] {
        var parser = UpstreamResponseParser()
        for method in methods { parser.expectResponse(to: method, upgrade: upgrade) }
        var results: [Read] = []
        var buffer = ByteBuffer()
        let bytes = Array(text.utf8)
        let step = piece == 0 ? max(bytes.count, 1) : piece
        func drain() throws {
            while let part = try parser.next(&buffer) {
                switch part {
                case .head(let head):
                    results.append(Read(status: Int(head.status.code), keepAlive: head.keepAlive))
                case .body(let body):
                    results[results.count - 1].body += String(buffer: body)
                case .end(let trailers):
                    results[results.count - 1].trailers = trailers?.map(\.name) ?? []
                    results[results.count - 1].ends += 1
                case .tunnel(let bytes):
                    results[results.count - 1].tunnel += String(buffer: bytes)
                }
            }
        }
        for start in stride(from: 0, to: bytes.count, by: step) {
            buffer.writeBytes(bytes[start..<min(start + step, bytes.count)])
            try drain()
        }
        if closed, let end = parser.inputClosed() {
            if case .end = end { results[results.count - 1].ends += 1 }
        }
        return results
    }

    static let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5;name=value\r\nhello\r\n6 \r\n world\r\n0\r\nX-Check: 1\r\n\r\n"

    @Test("a length, chunks with extensions and trailers, and a body delimited by close; in pieces of every size")
    func framing() throws {
        for piece in [0, 1, 2, 3, 7] {
            #expect(try Self.read("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", piece: piece)
                == [Read(status: 200, body: "hello", keepAlive: true, ends: 1)])
            #expect(try Self.read(Self.chunked, piece: piece)
                == [Read(status: 200, body: "hello world", trailers: ["X-Check"], keepAlive: true, ends: 1)])
            #expect(try Self.read("HTTP/1.1 200 OK\r\n\r\nuntil close", piece: piece, closed: true)
                == [Read(status: 200, body: "until close", keepAlive: false, ends: 1)])
        }
    }

    @Test("HEAD, 204 and 304 have no body whatever their length says; 1xx answers are skipped; 101 is refused to a request that did not ask")
    func bodyless() throws {
        let answers = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n"
            + "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"
            + "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(try Self.read(answers, methods: [.HEAD, .POST, .GET]) == [
            Read(status: 200, keepAlive: true, ends: 1), Read(status: 204, keepAlive: true, ends: 1),
            Read(status: 304, keepAlive: true, ends: 1),
        ])
        #expect(throws: HeadParseError.self) { try Self.read("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n") }
    }

    @Test("101 to an upgrade request: its head, then every later byte as tunnel bytes, in pieces of every size; no end")
    func switchingProtocols() throws {
        let answer = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
            + "\u{01}\u{05}HTTP/1.1 200 OK\r\n\r\n"
        for piece in [0, 1, 2, 5] {
            #expect(try Self.read(answer, upgrade: true, piece: piece, closed: true)
                == [Read(status: 101, keepAlive: true, tunnel: "\u{01}\u{05}HTTP/1.1 200 OK\r\n\r\n")], "piece \(piece)")
        }
        // An upgrade request may be answered as a plain one, and the connection goes on as HTTP.
        #expect(try Self.read("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", upgrade: true)
            == [Read(status: 200, body: "ok", keepAlive: true, ends: 1)])
        // Only the request that asked: not the one queued behind it.
        #expect(throws: HeadParseError.self) {
            try Self.read("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", methods: [.GET, .GET], upgrade: true)
        }
    }

    @Test("keep-alive: HTTP/1.1 unless close; HTTP/1.0 only with keep-alive")
    func keepAlive() throws {
        #expect(try Self.read("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n")[0].keepAlive == false)
        #expect(try Self.read("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")[0].keepAlive == false)
        #expect(try Self.read("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")[0].keepAlive)
        #expect(try Self.read("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n")[0].status == 200)
    }

    @Test("refused: ambiguous or malformed framing, bare LF, obs-fold, bytes with no request", arguments: [
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n",
        "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX A: 1\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: \u{1}\r\nContent-Length: 0\r\n\r\n",
        "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    ])
    func refused(_ answer: String) {
        #expect(throws: HeadParseError.self) { try Self.read(answer) }
    }

    @Test("equal Content-Lengths repeated are one length")
    func repeatedLength() throws {
        #expect(try Self.read("HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nok")
            == [Read(status: 200, body: "ok", keepAlive: true, ends: 1)])
    }

    /// The downstream head for `answer` to `method`, and how its body goes on.
    static func forwarded(_ answer: String, method: HTTPMethod = .GET, close: Bool = false) throws -> (String, Bool, Bool) {
        var parser = UpstreamResponseParser()
        parser.expectResponse(to: method)
        var buffer = ByteBuffer(string: answer)
        guard case .head(let head) = try parser.next(&buffer) else { throw HeadParseError(reason: "no head") }
        var out = ByteBuffer()
        let framing = HTTP1Writer.writeResponseHead(head, requestMethod: method, close: close, into: &out)
        return (String(buffer: out), framing.chunked, framing.bodyless)
    }

    @Test("a forwarded head: fields as received but for hop-by-hop ones and those Connection names; framing the downstream needs")
    func forwardedHeads() throws {
        let hop = "HTTP/1.0 200 Fine\r\nX-A:  spaced \r\nConnection: keep-alive, X-Drop\r\nX-Drop: 1\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\nX-B: b\r\n\r\nok"
        #expect(try Self.forwarded(hop, close: true)
            == ("HTTP/1.1 200 Fine\r\nX-A:  spaced \r\nContent-Length: 2\r\nX-B: b\r\nconnection: close\r\n\r\n", false, false))
        #expect(try Self.forwarded(Self.chunked)
            == ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", true, false))
        #expect(try Self.forwarded("HTTP/1.1 599\r\nX-A: 1\r\n\r\n")
            == ("HTTP/1.1 599 \r\nX-A: 1\r\ntransfer-encoding: chunked\r\n\r\n", true, false))
        #expect(try Self.forwarded("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nX-A: 1\r\n\r\n")
            == ("HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n", false, false))
        #expect(try Self.forwarded("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\ncontent-length: 2\r\n\r\nok")
            == ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\n", false, false))
        #expect(try Self.forwarded("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", method: .HEAD)
            == ("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", false, true))
    }

    @Test("fields read as text on demand keep every field, in order")
    func headersOnDemand() throws {
        var parser = UpstreamResponseParser()
        parser.expectResponse(to: .GET)
        var buffer = ByteBuffer(string: "HTTP/1.1 418 Teapot\r\nX-A: 1\r\nConnection: close\r\nx-a: 2\r\nContent-Length: 0\r\n\r\n")
        guard case .head(let head) = try parser.next(&buffer) else { Issue.record("no head"); return }
        let nio = head.responseHead()
        #expect(nio.status.code == 418)
        #expect(nio.headers.map { "\($0.name)=\($0.value)" } == ["X-A=1", "Connection=close", "x-a=2", "Content-Length=0"])
    }
}
