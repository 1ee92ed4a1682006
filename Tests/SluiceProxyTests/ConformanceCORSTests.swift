import NIOHTTP1
import Testing

/// The suite's HTTPRouteCORS cases (`httproute-cors.yaml`), over HTTP/1.1 and h2c.
@Suite("Conformance: CORS")
struct ConformanceCORSTests {
    /// One case: a request, the statuses allowed, the values each field may have (any order of
    /// a comma-separated list, whitespace ignored, as the suite compares), and fields that must be absent.
    struct CORSCase: Sendable, CustomStringConvertible {
        var name: String
        var path: String
        var method: HTTPMethod
        var headers: [(String, String)]
        var statuses: Set<Int>
        var fields: [String: [String]] = [:]
        var absent: [String] = []
        /// The backend answered (a preflight is answered by the proxy).
        var forwarded: Bool

        var description: String { name }
    }

    static let preflightOneHeaders = [("access-control-request-method", "GET"), ("access-control-request-headers", "x-header-1, x-header-2")]
    static let corsOneFields: [String: [String]] = [
        "access-control-allow-methods": ["GET, OPTIONS"],
        "access-control-allow-headers": ["x-header-1, x-header-2"],
        "access-control-expose-headers": ["x-header-3, x-header-4"],
        "access-control-max-age": ["3600"],
        "access-control-allow-credentials": ["true"],
    ]

    static let cases: [CORSCase] = [
        CORSCase(
            name: "preflight from an exact origin", path: "/cors-1", method: .OPTIONS,
            headers: [("Origin", "https://www.foo.com")] + preflightOneHeaders, statuses: [200, 204],
            fields: corsOneFields.merging(["access-control-allow-origin": ["https://www.foo.com"]]) { $1 }, forwarded: false),
        CORSCase(
            name: "preflight from a wildcard origin", path: "/cors-1", method: .OPTIONS,
            headers: [("Origin", "https://www.bar.com")] + preflightOneHeaders, statuses: [200, 204],
            fields: corsOneFields.merging(["access-control-allow-origin": ["https://www.bar.com"]]) { $1 }, forwarded: false),
        CORSCase(
            name: "preflight from a wildcard origin, several labels left of it", path: "/cors-1", method: .OPTIONS,
            headers: [("Origin", "https://xpto.www.bar.com")] + preflightOneHeaders, statuses: [200, 204],
            fields: corsOneFields.merging(["access-control-allow-origin": ["https://xpto.www.bar.com"]]) { $1 }, forwarded: false),
        CORSCase(
            name: "preflight from an origin not allowed", path: "/cors-1", method: .OPTIONS,
            headers: [("Origin", "https://foobar.com"), ("access-control-request-method", "GET")], statuses: [200, 204, 403],
            absent: ["access-control-allow-origin"], forwarded: false),
        CORSCase(
            name: "request from an exact origin", path: "/cors-1", method: .GET,
            headers: [("Origin", "https://www.foo.com")] + preflightOneHeaders, statuses: [200],
            fields: ["access-control-allow-origin": ["https://www.foo.com"]], forwarded: true),
        CORSCase(
            name: "request from a wildcard origin", path: "/cors-1", method: .GET,
            headers: [("Origin", "https://www.bar.com")] + preflightOneHeaders, statuses: [200],
            fields: ["access-control-allow-origin": ["https://www.bar.com"]], forwarded: true),
        CORSCase(
            name: "request from an origin not allowed", path: "/cors-1", method: .GET,
            headers: [("Origin", "https://foobar.com"), ("access-control-request-method", "GET")], statuses: [200],
            absent: ["access-control-allow-origin"], forwarded: true),
        CORSCase(
            name: "preflight for POST with allowMethods *", path: "/cors-2", method: .OPTIONS,
            headers: [("Origin", "https://www.foo.com"), ("access-control-request-method", "POST")], statuses: [200, 204],
            fields: ["access-control-allow-methods": ["POST", "*"], "access-control-allow-origin": ["https://www.foo.com"]],
            absent: ["access-control-allow-credentials"], forwarded: false),
        CORSCase(
            name: "preflight from any origin", path: "/cors-wildcard-origin", method: .OPTIONS,
            headers: [("Origin", "https://foobar.com"), ("access-control-request-method", "PUT")], statuses: [200, 204],
            fields: ["access-control-allow-origin": ["https://foobar.com", "*"], "access-control-allow-methods": ["PUT"]],
            absent: ["access-control-allow-credentials"], forwarded: false),
        CORSCase(
            name: "preflight from any origin with a port", path: "/cors-wildcard-origin", method: .OPTIONS,
            headers: [("Origin", "https://foobar.com:12345"), ("access-control-request-method", "PUT")], statuses: [200, 204],
            fields: ["access-control-allow-origin": ["https://foobar.com:12345", "*"], "access-control-allow-methods": ["PUT"]],
            absent: ["access-control-allow-credentials"], forwarded: false),
        CORSCase(
            name: "request from any origin with a port", path: "/cors-wildcard-origin", method: .PUT,
            headers: [("Origin", "https://foobar.com:12345")], statuses: [200],
            fields: ["access-control-allow-origin": ["https://foobar.com:12345", "*"]], forwarded: true),
        CORSCase(
            name: "request from any origin", path: "/cors-wildcard-origin", method: .PUT,
            headers: [("Origin", "https://foobar.com")], statuses: [200],
            fields: ["access-control-allow-origin": ["https://foobar.com", "*"]], absent: ["access-control-allow-credentials"],
            forwarded: true),
        CORSCase(
            name: "preflight with * everywhere and credentials: the origin, method and headers echoed", path: "/cors-wildcard-methods-headers",
            method: .OPTIONS,
            headers: [
                ("Origin", "https://other.foo.com"), ("access-control-request-method", "PUT"),
                ("access-control-request-headers", "x-header-1, x-header-2"),
            ],
            statuses: [200, 204],
            fields: [
                "access-control-allow-origin": ["https://other.foo.com"], "access-control-allow-methods": ["PUT"],
                "access-control-allow-headers": ["x-header-1, x-header-2"], "access-control-allow-credentials": ["true"],
            ],
            forwarded: false),
        CORSCase(
            name: "preflight with * everywhere, no credentials", path: "/cors-wildcard-methods-headers-unauth", method: .OPTIONS,
            headers: [
                ("Origin", "https://other.foo.com"), ("access-control-request-method", "PUT"),
                ("access-control-request-headers", "x-header-1, x-header-2"),
            ],
            statuses: [200, 204],
            fields: [
                "access-control-allow-origin": ["https://other.foo.com", "*"], "access-control-allow-methods": ["PUT", "*"],
                "access-control-allow-headers": ["x-header-1, x-header-2", "*"],
            ],
            absent: ["access-control-allow-credentials"], forwarded: false),
        CORSCase(
            name: "request with credentials allowed", path: "/cors-wildcard-methods-headers", method: .GET,
            headers: [("Origin", "https://other.foo.com")], statuses: [200],
            fields: ["access-control-allow-origin": ["https://other.foo.com"], "access-control-allow-credentials": ["true"]],
            forwarded: true),
        CORSCase(
            name: "request without credentials allowed", path: "/cors-wildcard-methods-headers-unauth", method: .GET,
            headers: [("Origin", "https://other.foo.com")], statuses: [200],
            fields: ["access-control-allow-origin": ["https://other.foo.com", "*"]], absent: ["access-control-allow-credentials"],
            forwarded: true),
    ]

    /// A comma-separated list as a set of items without whitespace, as the suite compares.
    static func items(_ value: String) -> Set<String> {
        Set(value.split(separator: ",").map { $0.filter { !$0.isWhitespace } })
    }

    @Test("HTTPRouteCORS: preflights answered by the proxy, allowed origins' responses marked", arguments: [Transport.http1, .h2c])
    func cors(transport: Transport) async throws {
        let env = try await ConformanceEnvironment.start(["httproute-cors.yaml"])
        defer { Task { await env.stop() } }
        for route in ["cors-multiple-origins-methods-headers", "cors-wildcard-methods", "cors-wildcard-origin", "cors-wildcard-methods-headers"] {
            #expect(env.routeConditions(route)["ResolvedRefs"]?.status == "True", "\(route)")
        }
        let port = await env.port()
        for item in Self.cases {
            let response = try await transport.get(port: port, item.path, host: "gateway.test", method: item.method, headers: item.headers)
            #expect(item.statuses.contains(response.status), "\(item): status \(response.status)")
            #expect((response.echo != nil) == item.forwarded, "\(item): \(item.forwarded ? "not forwarded" : "forwarded")")
            for (name, allowed) in item.fields {
                let value = response.headers[name].joined(separator: ",")
                #expect(allowed.map(Self.items).contains(Self.items(value)), "\(item): \(name): \(value)")
            }
            for name in item.absent {
                #expect(response.headers[name].isEmpty, "\(item): \(name) present")
            }
            if !item.fields.isEmpty { #expect(response.headers["vary"].contains("Origin"), "\(item): no Vary: Origin") }
        }
    }

    @Test("a request with no Origin and an OPTIONS request that is no preflight go to the backend untouched")
    func notCrossOrigin() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-cors.yaml"])
        defer { Task { await env.stop() } }
        let port = await env.port()
        let plain = try await TestConnection.get(port: port, "/cors-1", host: "gateway.test")
        #expect(plain.echo != nil)
        #expect(plain.headers["access-control-allow-origin"].isEmpty)
        let options = try await TestConnection.get(port: port, "/cors-1", host: "gateway.test", method: .OPTIONS, headers: [("Origin", "https://www.foo.com")])
        #expect(options.echo?.method == "OPTIONS")
        #expect(options.headers["access-control-allow-origin"] == ["https://www.foo.com"])
    }
}
