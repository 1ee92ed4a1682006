import NIOCore
import NIOHTTP1
import Testing

@testable import SluiceProxy

/// The client request reader: heads, framing, strictness, and the bytes a head is forwarded as.
@Suite("Request parser")
struct RequestParserTests {
    /// A request as read: method, target, host, body, trailer names, keep-alive, ends counted.
    struct Read: Equatable {
        var method = ""
        var uri = ""
        var host = ""
        var body = ""
        var trailers: [String] = []
        var keepAlive = false
        var ends = 0
    }

    /// Parses `text` fed in pieces of `piece` bytes (0: all at once).
    static func read(_ text: String, piece: Int = 0) throws -> [Read] {
        var parser = RequestParser()
        var results: [Read] = []
        var buffer = ByteBuffer()
        let bytes = Array(text.utf8)
        let step = piece == 0 ? max(bytes.count, 1) : piece
        for start in stride(from: 0, to: bytes.count, by: step) {
            buffer.writeBytes(bytes[start..<min(start + step, bytes.count)])
            while let part = try parser.next(&buffer) {
                switch part {
                case .head(let head):
                    results.append(Read(method: head.method.rawValue, uri: head.uri, host: head.host.map(head.text) ?? "", keepAlive: head.keepAlive))
                case .body(let body):
                    results[results.count - 1].body += String(buffer: body)
                case .end(let trailers):
                    results[results.count - 1].trailers = trailers?.map(\.name) ?? []
                    results[results.count - 1].ends += 1
                }
            }
        }
        return results
    }

    @Test("pipelined requests with a length and with chunks, in pieces of every size")
    func framing() throws {
        let text = "GET /a?x=1 HTTP/1.1\r\nHost: a.test\r\n\r\n"
            + "POST /b HTTP/1.1\r\nhost: b.test:8080\r\nContent-Length: 5\r\n\r\nhello"
            + "PUT /c HTTP/1.1\r\nHost: c.test\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n"
            + "DELETE /d HTTP/1.0\r\nHost: d.test\r\n\r\n"
        for piece in [0, 1, 2, 5, 13] {
            #expect(try Self.read(text, piece: piece) == [
                Read(method: "GET", uri: "/a?x=1", host: "a.test", keepAlive: true, ends: 1),
                Read(method: "POST", uri: "/b", host: "b.test:8080", body: "hello", keepAlive: true, ends: 1),
                Read(method: "PUT", uri: "/c", host: "c.test", body: "hello", trailers: ["X-Sum"], keepAlive: true, ends: 1),
                Read(method: "DELETE", uri: "/d", host: "d.test", keepAlive: false, ends: 1),
            ])
        }
    }

    @Test("keep-alive: HTTP/1.1 unless close, HTTP/1.0 only with keep-alive")
    func keepAlive() throws {
        #expect(try Self.read("GET / HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n")[0].keepAlive == false)
        #expect(try Self.read("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")[0].keepAlive)
        // HTTP/1.0 with a Transfer-Encoding: faulty framing, closed after (RFC 9112 6.1).
        #expect(try Self.read("POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")[0].keepAlive == false)
    }

    @Test("refused: ambiguous framing, malformed lines, bare LF, obs-fold, two Host fields", arguments: [
        "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n",
        "GET /a b HTTP/1.1\r\n\r\n",
        "GET  / HTTP/1.1\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET / HTTP/1.1 \r\n\r\n",
        "GET / HTTP/1.1\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\u{7F}\r\n\r\n",
        "GET /\u{1}x HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a.test\r\nhost: b.test\r\n\r\n",
    ])
    func refused(_ request: String) {
        #expect(throws: HeadParseError.self) { try Self.read(request) }
    }

    static func head(_ text: String) throws -> ReceivedRequestHead {
        var parser = RequestParser()
        var buffer = ByteBuffer(string: text)
        guard case .head(let head)? = try parser.next(&buffer) else { throw HeadParseError(reason: "no head") }
        return head
    }

    @Test("header lookup for matches: names in any case, repeated fields joined by commas")
    func lookup() throws {
        let head = try Self.head("GET / HTTP/1.1\r\nX-Env: a\r\nx-env: b\r\nX-One:  1 \r\n\r\n")
        #expect(head.combinedValue(named: "x-env") == "a,b")
        #expect(head.combinedValue(named: "X-ONE") == "1")
        #expect(head.combinedValue(named: "x-none") == nil)
        #expect(head.fieldBytes == (5 + 1 + 4) * 2 + (5 + 1 + 4))
        #expect(FieldLines.hopByHopNames.map(\.description) == RequestRewriting.hopByHop)
    }

    @Test("a forwarded head: the new target, fields as received but for hop-by-hop ones and those Connection names; framing kept")
    func forwarded() throws {
        func forward(_ text: String, uri: String = "/new") throws -> (String, Bool, Bool) {
            var out = ByteBuffer()
            let framing = HTTP1Writer.writeRequestHead(try Self.head(text), uri: uri, into: &out)
            return (String(buffer: out), framing.chunked, framing.carriesBody)
        }
        #expect(try forward("GET /old HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Drop\r\nX-Drop: 1\r\nTE: trailers\r\nX-Keep:  2\r\n\r\n")
            == ("GET /new HTTP/1.1\r\nHost: a\r\nX-Keep:  2\r\n\r\n", false, false))
        #expect(try forward("POST /old HTTP/1.1\r\nHost: a\r\n\r\n")
            == ("POST /new HTTP/1.1\r\nHost: a\r\ntransfer-encoding: chunked\r\n\r\n", true, true))
        #expect(try forward("PATCH /old HTTP/1.0\r\nContent-Length: 3\r\nConnection: content-length\r\n\r\nabc")
            == ("PATCH /new HTTP/1.1\r\nContent-Length: 3\r\n\r\n", false, true))
        #expect(try forward("get /old HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n")
            == ("get /new HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n", true, true))
        var upgrade = ByteBuffer()
        _ = HTTP1Writer.writeRequestHead(
            try Self.head("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: k\r\n\r\n"),
            uri: "/ws", upgrade: true, into: &upgrade)
        #expect(String(buffer: upgrade) == "GET /ws HTTP/1.1\r\nHost: a\r\nSec-WebSocket-Key: k\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n")
    }

    @Test("a WebSocket handshake: Connection lists upgrade and Upgrade offers websocket, tokens in any case and place")
    func webSocketHandshake() throws {
        let cases: [(String, Bool)] = [
            ("Upgrade: websocket\r\nConnection: Upgrade\r\n", true),
            ("Connection: keep-alive, UPGRADE\r\nUpgrade: WebSocket\r\n", true),
            ("Upgrade: h2c, websocket\r\nConnection: upgrade\r\n", true),
            ("Connection: keep-alive\r\nConnection: upgrade\r\nUpgrade: websocket\r\n", true),
            ("Upgrade: websocket\r\n", false),
            ("Connection: upgrade\r\n", false),
            ("Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n", false),
            ("Upgrade: websockets\r\nConnection: upgrade\r\n", false),
            ("Upgrade: websocket\r\nConnection: upgraded\r\n", false),
            ("X-Upgrade: websocket\r\nConnection: upgrade\r\n", false),
        ]
        for (fields, expected) in cases {
            let head = try Self.head("GET / HTTP/1.1\r\nHost: a\r\n\(fields)\r\n")
            #expect(head.upgradesToWebSocket == expected, "\(fields.debugDescription)")
        }
        #expect(RequestRewriting.hopByHop[RequestRewriting.upgradeIndex] == "upgrade")
    }
}

/// Mutated messages fed in random pieces: a parser never crashes, and what it reads (or refuses)
/// does not depend on how the bytes were split.
@Suite("HTTP/1.1 parsers under mutation")
struct ParserMutationTests {
    static let requests = [
        "GET /a?x=1 HTTP/1.1\r\nHost: a.test\r\nX-A: 1\r\n\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: x-a, close\r\nX-A: 2\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: 1\r\n\r\n",
    ]
    static let responses = [
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello",
        "HTTP/1.0 404 Not Found\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    ]
    static let alphabet = Array("\r\n :;,0aZ\t-\u{0}\u{7F}Gx".utf8) + [0xFF]

    /// Every part as text, or the error, for `bytes` fed in the given piece lengths.
    static func outcome(_ bytes: [UInt8], pieces: [Int], request: Bool) -> String {
        var requests = RequestParser()
        var responses = UpstreamResponseParser()
        for _ in 0..<4 { responses.expectResponse(to: .GET) }
        var buffer = ByteBuffer()
        var parts: [String] = []
        var start = 0
        var pieceIndex = 0
        do {
            while start < bytes.count {
                let length = min(pieces[pieceIndex % pieces.count], bytes.count - start)
                buffer.writeBytes(bytes[start..<start + length])
                start += length
                pieceIndex += 1
                if request {
                    while let part = try requests.next(&buffer) {
                        switch part {
                        case .head(let head): parts.append("head \(head.method.rawValue) \(head.uri) \(head.fields.count)")
                        case .body(let body): parts.append(contentsOf: body.readableBytesView.map { "b\($0)" })
                        case .end(let trailers): parts.append("end \(trailers?.count ?? 0)")
                        }
                    }
                } else {
                    while let part = try responses.next(&buffer) {
                        switch part {
                        case .head(let head): parts.append("head \(head.status.code) \(head.fields.count) \(head.keepAlive)")
                        case .body(let body): parts.append(contentsOf: body.readableBytesView.map { "b\($0)" })
                        case .end(let trailers): parts.append("end \(trailers?.count ?? 0)")
                        case .tunnel(let bytes): parts.append(contentsOf: bytes.readableBytesView.map { "t\($0)" })
                        }
                    }
                }
            }
        } catch {
            parts.append("refused")
        }
        return parts.joined(separator: "|")
    }

    @Test("6,000 mutations each of requests and responses: no crash; the same parts whole and in pieces")
    func mutations() {
        var random = SplitMix64(seed: 0x5EED)
        for (request, seeds) in [(true, Self.requests), (false, Self.responses)] {
            for round in 0..<6_000 {
                var bytes = Array(seeds[round % seeds.count].utf8)
                for _ in 0..<(1 + Int(random.next() % 3)) {
                    let position = Int(random.next() % UInt64(bytes.count))
                    let byte = Self.alphabet[Int(random.next() % UInt64(Self.alphabet.count))]
                    switch random.next() % 3 {
                    case 0: bytes[position] = byte
                    case 1: bytes.insert(byte, at: position)
                    default: bytes.remove(at: position)
                    }
                }
                let whole = Self.outcome(bytes, pieces: [bytes.count], request: request)
                let pieces = (0..<3).map { _ in 1 + Int(random.next() % 7) }
                let split = Self.outcome(bytes, pieces: pieces, request: request)
                // Body bytes are compared one by one: how they are cut into parts may differ.
                #expect(whole == split, "\(String(decoding: bytes, as: UTF8.self).debugDescription) in pieces \(pieces)")
                if whole != split { return }
            }
        }
    }
}
