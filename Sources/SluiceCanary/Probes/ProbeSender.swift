import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// Sends probes through the proxy core with AsyncHTTPClient. The request names the probe's host
/// (so Host and the TLS server name are the route's), and the name resolves to the address the
/// proxy serves the Gateway at: one client per host name and address, since AsyncHTTPClient's
/// DNS override is per client.
actor ProbeSender {
    private var clients: [ClientKey: HTTPClient] = [:]
    /// How much of a body is kept for `bodyContains`.
    static let bodyLimit = 1 << 20

    private struct ClientKey: Hashable {
        var hostname: String
        var address: String
    }

    /// Sends `probe` to `endpoint` and judges the answer; a probe that gets no answer fails.
    func send(_ probe: CanarySpec.Probe, to endpoint: ProbeEndpoint, timeout: Duration) async -> ProbeVerdict {
        let client = client(for: ClientKey(hostname: endpoint.hostname, address: endpoint.address))
        var request = HTTPClientRequest(url: "\(endpoint.scheme)://\(endpoint.hostname):\(endpoint.port)\(probe.request.path ?? "/")")
        request.method = HTTPMethod(rawValue: probe.request.method ?? "GET")
        for (name, value) in (probe.request.headers ?? [:]).sorted(by: { $0.key < $1.key }) {
            request.headers.add(name: name, value: value)
        }
        request.headers.replaceOrAdd(name: "user-agent", value: "sluice-canary-probe")
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let response = try await client.execute(request, timeout: TimeAmount.nanoseconds(Self.nanoseconds(timeout)))
            let body = try await response.body.collect(upTo: Self.bodyLimit)
            let latency = start.duration(to: clock.now)
            return ProbeVerdict.judge(probe, status: Int(response.status.code), latency: latency, body: body.readableBytesView)
        } catch {
            let latency = start.duration(to: clock.now)
            return .failed(probe: probe.name, error: "no answer after \(GoDuration.format(latency)): \(error)")
        }
    }

    /// Closes every client; the sender is not used after this.
    func shutdown() async {
        let all = clients.values
        clients = [:]
        for client in all { try? await client.shutdown() }
    }

    private func client(for key: ClientKey) -> HTTPClient {
        if let existing = clients[key] { return existing }
        var tls = TLSConfiguration.makeClientConfiguration()
        // The probe checks the route behind Sluice's own listener, whose certificate is the
        // Gateway's: trusting it is the listener's business, not the probe's.
        tls.certificateVerification = .none
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = .http1Only
        configuration.dnsOverride = [key.hostname: key.address]
        configuration.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        clients[key] = client
        return client
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}
