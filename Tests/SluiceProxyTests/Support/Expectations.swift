import NIOHTTP1
import Testing

/// One case of the conformance suite's table: a request and what must come back.
struct Case: Sendable, CustomStringConvertible {
    var host = "gateway.test"
    var path = "/"
    var method: HTTPMethod = .GET
    var headers: [(String, String)] = []
    /// The Service (echo backend) that must answer; nil when the proxy answers itself.
    var backend: String?
    var namespace = "gateway-conformance-infra"
    var status = 200

    var description: String { "\(method) \(host)\(path) \(headers) → \(backend ?? "status \(status)")" }
}

extension ConformanceEnvironment {
    /// Sends each case on a fresh connection (HTTP/1.1, or `transport`; `.keptAlive`: all on one)
    /// and checks which backend (or status) answered. `gateway`: at the address that Gateway's
    /// status shows (the first), as the conformance suite sends, rather than the shared one.
    func expect(
        _ cases: [Case], listenerPort: Int = 80, gateway: String? = nil, over transport: Transport = .http1,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        var (address, port) = ("127.0.0.1", await port(listenerPort))
        if let gateway {
            let shown = gatewayStatus(gateway)?.addresses?.first?.value
            address = try #require(shown, "\(gateway) shows no address", sourceLocation: sourceLocation)
            port = listenerPort + proxy.configuration.portOffset
        }
        for item in cases {
            let response = try await transport.get(
                port: port, address: address, item.path, host: item.host, method: item.method, headers: item.headers)
            if let backend = item.backend {
                #expect(response.status == 200, "\(item): status \(response.status) \(response.text)", sourceLocation: sourceLocation)
                #expect(response.echo?.pod == "\(backend)-pod", "\(item): answered by \(response.echo?.pod ?? "the proxy")", sourceLocation: sourceLocation)
                #expect(response.echo?.namespace == item.namespace, "\(item)", sourceLocation: sourceLocation)
            } else {
                #expect(response.status == item.status, "\(item): status \(response.status)", sourceLocation: sourceLocation)
                #expect(response.echo == nil, "\(item): a backend answered", sourceLocation: sourceLocation)
            }
        }
    }
}
