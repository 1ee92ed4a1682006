import Foundation
import NIOHTTP1
import SluiceModel
import Testing

@testable import SluiceProxy

/// Messages the proxy writes as bytes (no NIO encoder on its HTTP/1.1 pipelines): framing and
/// hop-by-hop fields on the wire, both ways, against an upstream that answers with fixed bytes.
@Suite("HTTP/1.1 framing on the wire")
struct HTTP1FramingTests {
    static let answers: [String: RawUpstream.Answer] = [
        "/head": .init(bytes: "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Kind: head\r\n\r\n"),
        "/chunked": .init(bytes: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Kind: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
        "/until-close": .init(bytes: "HTTP/1.1 200 OK\r\nConnection: close\r\nX-Kind: close\r\n\r\nuntil close", close: true),
        "/no-content": .init(bytes: "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nX-Kind: none\r\n\r\n"),
        "/hop": .init(bytes: "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Drop\r\nX-Drop: 1\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\nX-Kind: hop\r\n\r\nok"),
        "/req": .init(bytes: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        "/post": .init(bytes: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        "/vanish": .init(bytes: "", close: true),
        "/reason": .init(bytes: "HTTP/1.1 200 Alright\r\nContent-Length: 0\r\n\r\n"),
        "/set/reason": .init(bytes: "HTTP/1.1 299 Fine By Me\r\nContent-Length: 0\r\n\r\n"),
        "/add/reason": .init(bytes: "HTTP/1.1 200 Alright\r\nContent-Length: 0\r\n\r\n"),
        "/switch": .init(bytes: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Kind: switch\r\n\r\ntunnel bytes"),
    ]

    /// The conformance base Gateway `same-namespace` (every hostname, port 80) routing everything
    /// to infra-backend-v1, whose endpoint is the raw upstream (and `routes`, which go there too).
    static func start(routes: [String] = []) async throws -> (ConformanceEnvironment, RawUpstream) {
        let upstream = try await RawUpstream.start(answers)
        return (try await ConformanceEnvironment.routingEverything(toUpstreamPort: upstream.port, routes: routes), upstream)
    }

    /// The chunks' data of a chunked body, checking each size line (bytes: "\r\n" is one Character).
    static func dechunk(_ body: Substring) -> String? {
        var rest = Array(body.utf8)[...]
        var data: [UInt8] = []
        let crlf: [UInt8] = [13, 10]
        while let lineEnd = rest.indices.first(where: { rest[$0...].starts(with: crlf) }) {
            guard let size = Int(String(decoding: rest[..<lineEnd], as: UTF8.self), radix: 16) else { return nil }
            rest = rest[(lineEnd + 2)...]
            if size == 0 { return rest.elementsEqual(crlf) ? String(decoding: data, as: UTF8.self) : nil }
            guard rest.count >= size + 2, rest.dropFirst(size).starts(with: crlf) else { return nil }
            data += rest.prefix(size)
            rest = rest.dropFirst(size + 2)
        }
        return nil
    }

    @Test("the upstream's reason phrase reaches the client whether or not a filter changes the fields")
    func reasonPhrase() async throws {
        let (env, upstream) = try await Self.start(routes: ["httproute-response-header-modifier.yaml"])
        defer { Task { await env.stop(); await upstream.stop() } }
        let answer = try await rawExchange(port: await env.port(), """
            GET /reason HTTP/1.1\r\nHost: a.test\r\n\r\n\
            GET /set/reason HTTP/1.1\r\nHost: a.test\r\n\r\n\
            GET /add/reason HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n
            """)
        let expected = """
            HTTP/1.1 200 Alright\r\nContent-Length: 0\r\n\r\n\
            HTTP/1.1 299 Fine By Me\r\nContent-Length: 0\r\nX-Header-Set: set-overwrites-values\r\n\r\n\
            HTTP/1.1 200 Alright\r\nContent-Length: 0\r\nX-Header-Add: add-appends-values\r\nconnection: close\r\n\r\n
            """
        #expect(answer == expected, "\(answer.debugDescription)")
    }

    @Test("HEAD: the fields a GET would get, no body; 204: no length; the connection stays in step")
    func bodyless() async throws {
        let (env, upstream) = try await Self.start()
        defer { Task { await env.stop(); await upstream.stop() } }
        let answer = try await rawExchange(port: await env.port(), """
            HEAD /head HTTP/1.1\r\nHost: a.test\r\n\r\n\
            GET /no-content HTTP/1.1\r\nHost: a.test\r\n\r\n\
            GET /hop HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n
            """)
        let expected = """
            HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Kind: head\r\n\r\n\
            HTTP/1.1 204 No Content\r\nX-Kind: none\r\n\r\n\
            HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Kind: hop\r\nconnection: close\r\n\r\nok
            """
        #expect(answer == expected, "\(answer.debugDescription)")
    }

    @Test("requests one after another on a kept connection: nothing of the exchange before carries over")
    func sequentialExchanges() async throws {
        // Each request is sent once the answer before it has come whole, so the connection's
        // handler starts it on the exchange object of the one before (pipelined requests each get
        // a new one): nothing of that one may reach the next, neither a HEAD's bodylessness nor a
        // chunked answer's framing nor a response already started (the last step's teeth).
        let (env, upstream) = try await Self.start()
        defer { Task { await env.stop(); await upstream.stop() } }
        let connection = try await RawConnection.connect(port: await env.port())
        defer { Task { await connection.close() } }
        let hop = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Kind: hop\r\n\r\nok"
        let steps: [(request: String, answerEnd: String)] = [
            ("HEAD /head HTTP/1.1\r\nHost: a.test\r\n\r\n", "X-Kind: head\r\n\r\n"),
            ("GET /hop HTTP/1.1\r\nHost: a.test\r\n\r\n", hop),
            ("GET /chunked HTTP/1.1\r\nHost: a.test\r\n\r\n", "0\r\n\r\n"),
            ("GET /hop HTTP/1.1\r\nHost: a.test\r\n\r\n", "0\r\n\r\n" + hop),
            // The upstream closes without answering: nothing was sent downstream yet, so the proxy
            // answers 502 itself (the exchange before had started its response; this one has not).
            ("GET /vanish HTTP/1.1\r\nHost: a.test\r\n\r\n", "HTTP/1.1 502 Bad Gateway\r\n"),
        ]
        for (index, step) in steps.enumerated() {
            try await connection.send(step.request)
            let arrived = try await connection.waitFor(step.answerEnd, timeout: .seconds(3))
            #expect(arrived, "step \(index): \(connection.received.debugDescription)")
            guard arrived else { return }
        }
        let answers = connection.received.components(separatedBy: "HTTP/1.1 200 OK\r\n").dropFirst()
        #expect(answers.count == 4, "\(connection.received.debugDescription)")
        #expect(connection.received.components(separatedBy: "HTTP/1.1 502 Bad Gateway\r\n").count == 2)
        #expect(answers.first == "Content-Length: 11\r\nX-Kind: head\r\n\r\n")
        #expect(answers.dropFirst(1).first == "Content-Length: 2\r\nX-Kind: hop\r\n\r\nok")
        #expect(answers.last?.hasPrefix("Content-Length: 2\r\nX-Kind: hop\r\n\r\nokHTTP/1.1 502 Bad Gateway\r\n") == true)
    }

    @Test("a chunked answer stays chunked; one delimited by close goes chunked on a kept connection")
    func chunked() async throws {
        let (env, upstream) = try await Self.start()
        defer { Task { await env.stop(); await upstream.stop() } }
        let answer = try await rawExchange(port: await env.port(), """
            GET /chunked HTTP/1.1\r\nHost: a.test\r\n\r\n\
            GET /until-close HTTP/1.1\r\nHost: a.test\r\n\r\n\
            GET /hop HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n
            """)
        let parts = answer.components(separatedBy: "HTTP/1.1 200 OK\r\n").dropFirst()
        try #require(parts.count == 3, "\(answer.debugDescription)")
        let chunkedPart = parts[parts.startIndex]
        let closePart = parts[parts.startIndex + 1]
        #expect(chunkedPart.hasPrefix("Transfer-Encoding: chunked\r\nX-Kind: chunked\r\n\r\n"), "\(chunkedPart.debugDescription)")
        #expect(Self.dechunk(chunkedPart.dropFirst("Transfer-Encoding: chunked\r\nX-Kind: chunked\r\n\r\n".count)) == "hello world")
        // The upstream's `Connection: close` is its hop only: the client's connection stays open.
        #expect(closePart.hasPrefix("X-Kind: close\r\ntransfer-encoding: chunked\r\n\r\n"), "\(closePart.debugDescription)")
        #expect(Self.dechunk(closePart.dropFirst("X-Kind: close\r\ntransfer-encoding: chunked\r\n\r\n".count)) == "until close")
        #expect(parts[parts.startIndex + 2] == "Content-Length: 2\r\nX-Kind: hop\r\nconnection: close\r\n\r\nok")
    }

    @Test("requests upstream: hop-by-hop fields left out, a chunked body re-chunked, HEAD expected bodyless")
    func requests() async throws {
        let (env, upstream) = try await Self.start()
        defer { Task { await env.stop(); await upstream.stop() } }
        let answer = try await rawExchange(port: await env.port(), """
            GET /req HTTP/1.1\r\nHost: a.test\r\nConnection: keep-alive, X-Private\r\nX-Private: 1\r\nTE: trailers\r\nX-Keep: 1\r\n\r\n\
            POST /post HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n\
            POST /post HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\nConnection: close\r\n\r\nxyz
            """)
        #expect(answer.components(separatedBy: "HTTP/1.1 200 OK\r\n").count == 4, "\(answer.debugDescription)")
        let requests = upstream.requests
        try #require(requests.count == 3, "\(requests)")
        #expect(requests[0] == "GET /req HTTP/1.1\r\nHost: a.test\r\nX-Keep: 1\r\n\r\n")
        #expect(requests[1].hasPrefix("POST /post HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n"), "\(requests[1].debugDescription)")
        #expect(Self.dechunk(requests[1].dropFirst("POST /post HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n".count)) == "abcde")
        #expect(requests[2] == "POST /post HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\n\r\nxyz")
    }

    @Test("a request body reaches the upstream framed whatever the method, the case of its Transfer-Encoding, or what Connection lists")
    func bodiesCannotSmuggleRequests() async throws {
        let (env, upstream) = try await Self.start()
        defer { Task { await env.stop(); await upstream.stop() } }
        // Each body's data is a whole request: forwarded without framing, the upstream would read
        // it as a second request on the pooled connection and answer it to the next client.
        let smuggled = "GET /smuggled HTTP/1.1\r\nHost: a.test\r\n\r\n"
        let size = String(smuggled.utf8.count, radix: 16)
        let answer = try await rawExchange(port: await env.port(), """
            GET /req HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: Chunked\r\n\r\n\(size)\r\n\(smuggled)\r\n0\r\n\r\n\
            GET /req HTTP/1.1\r\nHost: a.test\r\nContent-Length: \(smuggled.utf8.count)\r\nConnection: content-length\r\n\r\n\(smuggled)\
            DELETE /req HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\nConnection: transfer-encoding\r\n\r\n\(size)\r\n\(smuggled)\r\n0\r\n\r\n\
            TRACE /req HTTP/1.1\r\nHost: a.test\r\nContent-Length: \(smuggled.utf8.count)\r\n\r\n\(smuggled)\
            GET /req HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n
            """)
        #expect(answer.components(separatedBy: "HTTP/1.1 200 OK\r\n").count == 6, "\(answer.debugDescription)")
        let requests = upstream.requests
        #expect(requests.count == 5, "\(requests)")
        #expect(!requests.contains { $0.hasPrefix("GET /smuggled") }, "\(requests)")
    }

    @Test("Expect: 100-continue is met by the proxy: 100 before the body is sent, the upstream does not see the expectation")
    func expectContinue() async throws {
        let (env, upstream) = try await Self.start()
        defer { Task { await env.stop(); await upstream.stop() } }
        let connection = try await RawConnection.connect(port: await env.port())
        defer { Task { await connection.close() } }
        try await connection.send("POST /post HTTP/1.1\r\nHost: a.test\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n")
        // Well inside curl's 1 s: a client that got no 100 would be waiting that long.
        #expect(try await connection.waitFor("HTTP/1.1 100 Continue\r\n\r\n", timeout: .milliseconds(500)), "\(connection.received.debugDescription)")
        #expect(!connection.received.contains("200"))
        try await connection.send("xyz")
        #expect(try await connection.waitFor("HTTP/1.1 200 OK\r\n", timeout: .seconds(3)), "\(connection.received.debugDescription)")
        #expect(connection.received.hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"))
        #expect(upstream.requests == ["POST /post HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\n\r\nxyz"])
        // No 100 for a request without a body, or without the expectation.
        let plain = try await rawExchange(port: await env.port(), """
            GET /req HTTP/1.1\r\nHost: a.test\r\nExpect: 100-continue\r\n\r\n\
            POST /post HTTP/1.1\r\nHost: a.test\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx
            """)
        #expect(!plain.contains("100 Continue") && plain.components(separatedBy: "HTTP/1.1 200 OK\r\n").count == 3, "\(plain.debugDescription)")
    }

    @Test("an HTTP/1.1 request without Host: 400 and the connection closed; HTTP/1.0 may leave it out")
    func missingHost() async throws {
        let (env, upstream) = try await Self.start()
        defer { Task { await env.stop(); await upstream.stop() } }
        let refused = try await rawExchange(port: await env.port(), "GET /req HTTP/1.1\r\nX-Other: 1\r\n\r\nGET /req HTTP/1.1\r\nHost: a.test\r\n\r\n")
        #expect(refused.hasPrefix("HTTP/1.1 400 Bad Request\r\n") && refused.contains("connection: close\r\n"), "\(refused.debugDescription)")
        #expect(refused.components(separatedBy: "HTTP/1.1 ").count == 2, "one answer, then the close: \(refused.debugDescription)")
        let old = try await rawExchange(port: await env.port(), "GET /req HTTP/1.0\r\n\r\n")
        #expect(old.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(old.debugDescription)")
        #expect(upstream.requests.count == 1)
    }

    @Test("the proxy's own answers: HEAD gets the fields without the body, and the next request is read")
    func directHead() throws {
        // The invalid-backend route answers 500 from the proxy itself, with a 26-byte body.
        let answer = try ProxyHandlerTests.exchange(
            "HEAD /anything HTTP/1.1\r\nHost: gw.test\r\n\r\nGET /anything HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n")
        let head = "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 26\r\n"
        #expect(answer == head + "\r\n" + head + "connection: close\r\n\r\n500 Internal Server Error\n", "\(answer.debugDescription)")
    }

    @Test("framing rules: NIO's encoders' for answers, the received framing kept for requests")
    func framingRules() {
        var headers: HTTPHeaders = ["content-length": "3", "transfer-encoding": "chunked"]
        var framing = HTTP1Writer.requestFraming(method: .GET, headers: &headers)
        #expect(!framing.chunked && !headers.contains(name: "transfer-encoding"))
        headers = [:]
        framing = HTTP1Writer.requestFraming(method: .POST, headers: &headers)
        #expect(framing.chunked && framing.replacesTransferEncoding)
        headers = ["content-length": "0"]
        framing = HTTP1Writer.requestFraming(method: .TRACE, headers: &headers)
        #expect(!framing.chunked && headers.contains(name: "content-length"))
        headers = ["transfer-encoding": "Chunked"]
        framing = HTTP1Writer.requestFraming(method: .GET, headers: &headers)
        #expect(framing.chunked && !framing.replacesTransferEncoding)
        headers = [:]
        framing = HTTP1Writer.requestFraming(method: .GET, headers: &headers)
        #expect(!framing.chunked && !HTTP1Writer.carriesBody(framing, headers: headers))
        headers = ["content-length": "4"]
        var response = HTTP1Writer.responseFraming(status: .notModified, requestMethod: .GET, headers: &headers)
        #expect(headers.isEmpty && !response.framing.chunked && !response.bodyless)
        headers = [:]
        response = HTTP1Writer.responseFraming(status: .ok, requestMethod: .HEAD, headers: &headers)
        #expect(response.framing.replacesTransferEncoding && !response.framing.chunked && response.bodyless)
        headers = ["transfer-encoding": "chunked"]
        response = HTTP1Writer.responseFraming(status: .ok, requestMethod: .GET, headers: &headers)
        #expect(response.framing.chunked && !response.framing.replacesTransferEncoding)
    }
}
