import SluiceModel
import Testing

@testable import SluiceProxy

/// What NIO's outbound header validators refused, now checked by the proxy where it can fail
/// (the pipelines run without those validators): unit checks, then over real sockets.
@Suite("Wire text")
struct WireTextTests {
    @Test("names are tokens; values have no controls but HTAB; targets have no space or control")
    func checks() {
        #expect(WireText.isFieldName("X-Header_1.!#$%&'*+^`|~"))
        for name in ["", "X Header", "X:Header", "X\r\nY", "Ä", "(x)", "x\"y"] {
            #expect(!WireText.isFieldName(name), "\(name)")
        }
        #expect(WireText.isFieldValue("value with\tspace, \"quotes\" and é"))
        #expect(WireText.isFieldValue(""))
        for value in ["a\r\nX-Injected: 1", "a\nb", "a\0b", "a\u{7F}", "a\u{1}"] {
            #expect(!WireText.isFieldValue(value), "\(value.debugDescription)")
        }
        for target in ["/a/b-c_d.e~f?x=1&y=%20z;p=(q)*+,!$'@:[]#frag", "/a|b", "/a{b}", "/a\"b", "/a^b", "/é"] {
            #expect(WireText.isRequestTarget(target), "\(target)")
        }
        for target in ["/a b", "/a\tb", "/a\r\nX: 1", "/a\0b", "/a\u{7F}"] {
            #expect(!WireText.isRequestTarget(target), "\(target)")
        }
    }

    @Test("the token bitmaps hold exactly RFC 9110's tchar bytes")
    func tokenBytes() {
        let tchars = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(WireText.isTokenByte(byte) == tchars.contains(byte), "byte \(byte)")
        }
    }

    @Test("a field value is checked eight bytes at a time: each control byte is found wherever it sits")
    func fieldValueBytes() {
        // Lengths around the word size, the control byte at every position, HTAB and obs-text kept.
        for length in 0...19 {
            let plain = [UInt8](repeating: UInt8(ascii: "v"), count: length)
            #expect(plain.withUnsafeBytes { FieldLines.isFieldValue($0) }, "length \(length)")
            for position in 0..<length {
                for (byte, valid) in [(0x09, true), (0x20, true), (0x80, true), (0xFF, true), (0x7E, true), (0x00, false),
                                      (0x0A, false), (0x0D, false), (0x1F, false), (0x7F, false), (0x01, false)] as [(UInt8, Bool)] {
                    var value = plain
                    value[position] = byte
                    #expect(value.withUnsafeBytes { FieldLines.isFieldValue($0) } == valid, "length \(length), byte \(byte) at \(position)")
                }
            }
        }
    }

    @Test("a request filter header that cannot be sent is answered 502 and nothing reaches the backend")
    func unsendableRequestHeader() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-request-header-modifier.yaml"]) { input in
            Self.editFilters(&input) { filter in
                let set = filter.requestHeaderModifier?.set?.map { HTTPHeader(name: $0.name, value: "x\r\nX-Injected: 1") }
                filter.requestHeaderModifier?.set = set
            }
        }
        defer { Task { await env.stop() } }
        let port = await env.port()
        let answer = try await rawExchange(port: port, "GET /set HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n\r\n")
        #expect(answer.hasPrefix("HTTP/1.1 502 "), "\(answer)")
        let fine = try await TestConnection.get(port: port, "/add", host: "gateway.test")
        #expect(fine.status == 200)
        #expect(fine.echo?.header("X-Injected") == nil)
    }

    @Test("a response filter header that cannot be sent is answered 502")
    func unsendableResponseHeader() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-response-header-modifier.yaml"]) { input in
            Self.editFilters(&input) { filter in
                let set = filter.responseHeaderModifier?.set?.map { HTTPHeader(name: "Bad Name", value: $0.value) }
                filter.responseHeaderModifier?.set = set
            }
        }
        defer { Task { await env.stop() } }
        let port = await env.port()
        let answer = try await rawExchange(port: port, "GET /set HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n\r\n")
        #expect(answer.hasPrefix("HTTP/1.1 502 "), "\(answer)")
        #expect(!answer.contains("Bad Name"))
        let fine = try await TestConnection.get(port: port, "/add", host: "gateway.test")
        #expect(fine.status == 200)

        // The 502'd response's own body and end, read with its head, must not reach the request
        // served next: with two idle upstream connections pooled, the pipelined request behind it
        // goes out on the other one at once.
        async let first = TestConnection.get(port: port, "/add", host: "gateway.test")
        async let second = TestConnection.get(port: port, "/add", host: "gateway.test")
        _ = try await (first, second)
        let pipelined = try await rawExchange(port: port, """
            GET /set HTTP/1.1\r\nHost: gateway.test\r\n\r\n\
            GET /add HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n\r\n
            """)
        let answers = pipelined.components(separatedBy: "HTTP/1.1 ").dropFirst()
        #expect(answers.count == 2, "\(pipelined.debugDescription)")
        #expect(answers.first?.hasPrefix("502 ") == true && answers.last?.hasPrefix("200 ") == true, "\(pipelined.debugDescription)")
        // The echo's JSON escapes the slash: "path":"\/add".
        #expect(answers.last?.contains("\"path\":\"\\/add\"") == true, "\(pipelined.debugDescription)")
    }

    @Test("a client's target is forwarded as llhttp accepted it (`|` too, as nginx does); a rewrite that would break the request line is 502")
    func requestTargets() async throws {
        let plain = try await ConformanceEnvironment.start(["httproute-request-header-modifier.yaml"])
        let plainPort = await plain.port()
        let raw = try await rawExchange(port: plainPort, "GET /set?q=a|b HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n\r\n")
        await plain.stop()
        #expect(raw.hasPrefix("HTTP/1.1 200 "), "\(raw)")

        let rewriting = try await ConformanceEnvironment.start(["httproute-rewrite-path.yaml"]) { input in
            Self.editFilters(&input) { filter in
                if filter.urlRewrite?.path?.replaceFullPath != nil { filter.urlRewrite?.path?.replaceFullPath = "/one two" }
            }
        }
        defer { Task { await rewriting.stop() } }
        let port = await rewriting.port()
        let answer = try await rawExchange(port: port, "GET /full/one/two HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n\r\n")
        #expect(answer.hasPrefix("HTTP/1.1 502 "), "\(answer)")
    }

    @Test("a redirect whose Location cannot be sent is answered 500")
    func unsendableLocation() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-redirect-host-and-status.yaml"]) { input in
            Self.editFilters(&input) { filter in filter.requestRedirect?.hostname = "example.org\r\nX-Injected: 1" }
        }
        defer { Task { await env.stop() } }
        let port = await env.port()
        let answer = try await rawExchange(port: port, "GET /hostname-redirect HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n\r\n")
        #expect(answer.hasPrefix("HTTP/1.1 500 "), "\(answer)")
        #expect(!answer.contains("X-Injected"))
    }

    static func editFilters(_ input: inout ProxyInput, _ edit: (inout HTTPRouteFilter) -> Void) {
        for routeIndex in input.httpRoutes.indices {
            guard var rules = input.httpRoutes[routeIndex].spec.rules else { continue }
            for ruleIndex in rules.indices {
                guard var filters = rules[ruleIndex].filters else { continue }
                for filterIndex in filters.indices { edit(&filters[filterIndex]) }
                rules[ruleIndex].filters = filters
            }
            input.httpRoutes[routeIndex].spec.rules = rules
        }
    }
}
