import SluiceModel
import Testing

@testable import SluiceProxy

/// What NIO's outbound header validators refused, now checked by the proxy where it can fail
/// (the pipelines run without those validators): unit checks, then over real sockets.
@Suite("Wire text")
struct WireTextTests {
    @Test("names are tokens; values have no controls but HTAB; targets use RFC 3986 bytes only")
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
        #expect(WireText.isRequestTarget("/a/b-c_d.e~f?x=1&y=%20z;p=(q)*+,!$'@:[]#frag"))
        for target in ["/a b", "/a|b", "/a{b}", "/a\"b", "/a\\b", "/a^b", "/a`b", "/a<b>", "/é"] {
            #expect(!WireText.isRequestTarget(target), "\(target)")
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
    }

    @Test("a request target llhttp accepts but RFC 9112 does not is not forwarded: 502")
    func unsendableTarget() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-request-header-modifier.yaml"])
        defer { Task { await env.stop() } }
        let port = await env.port()
        let answer = try await rawExchange(port: port, "GET /set?q=a|b HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n\r\n")
        #expect(answer.hasPrefix("HTTP/1.1 502 "), "\(answer)")
        let fine = try await rawExchange(port: port, "GET /set?q=a%7Cb HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n\r\n")
        #expect(fine.hasPrefix("HTTP/1.1 200 "), "\(fine)")
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
