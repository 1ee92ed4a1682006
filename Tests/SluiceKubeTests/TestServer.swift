import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SluiceKube
import SluiceModel
import SluiceTestSupport
import Synchronization

/// An EmbeddedCluster served over HTTPS on a free loopback port, for one test.
final class TestServer: Sendable {
    let directory: TemporaryDirectory
    let cluster: EmbeddedCluster
    let credentials: ServerCredentials
    let url: String
    let port: Int
    private let task: Task<Void, any Error>
    let http: HTTPClient

    /// A clock that moves one second per reading, so every write lands in its own second (the
    /// recordings' managedFields order follows their times, which were seconds apart).
    static func tickingClock() -> @Sendable () -> Date {
        let ticks = Mutex(0)
        return {
            let tick = ticks.withLock { value in
                value += 1
                return value
            }
            return Date(timeIntervalSince1970: 1_900_000_000 + Double(tick))
        }
    }

    init(directory: TemporaryDirectory? = nil, now: @escaping @Sendable () -> Date = { Date() }, garbageCollector: Bool = true) async throws {
        self.directory = try directory ?? TemporaryDirectory("sluice-kube")
        cluster = try await EmbeddedCluster(configuration: .init(dataDirectory: self.directory.url, now: now, garbageCollector: garbageCollector))
        credentials = try ServerCredentials.loadOrCreate(in: self.directory.url)
        let server = APIServer(cluster: cluster, credentials: credentials, configuration: .init(host: "127.0.0.1", port: 0))
        let running = try await server.bind(writingKubeconfigInto: self.directory.url)
        url = running.url
        port = running.port
        task = Task { try await server.serve(running) }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(credentials.caCertificatePEM.utf8)))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = .http1Only
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    var kubeconfigPath: String { directory.path("kubeconfig").path }

    func kubeCluster() throws -> KubeCluster {
        try KubeCluster(Kubeconfig.load(path: kubeconfigPath))
    }

    func stop() async {
        try? await http.shutdown()
        task.cancel()
        _ = try? await task.value
    }

    struct Reply {
        var status: Int
        var contentType: String
        var warnings: [String]
        var text: String
    }

    /// One request as the fixture recorder sent it.
    func send(method: String, path: String, contentType: String?, body: String?) async throws -> Reply {
        var request = HTTPClientRequest(url: url + path)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(credentials.token)")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "fixture-recorder/1.0")
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await http.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Reply(
            status: Int(response.status.code), contentType: response.headers["Content-Type"].first ?? "",
            warnings: response.headers["Warning"], text: String(buffer: bytes))
    }

    /// The first `count` lines of a streamed (watch) response.
    func streamLines(path: String, count: Int, timeout: Duration = .seconds(20)) async throws -> [String] {
        var request = HTTPClientRequest(url: url + path)
        request.headers.add(name: "Authorization", value: "Bearer \(credentials.token)")
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await http.execute(request, timeout: .seconds(Int64(timeout.components.seconds)))
        var lines: [String] = []
        var pending = ""
        for try await chunk in response.body {
            pending += String(buffer: chunk)
            while let newline = pending.firstIndex(of: "\n") {
                lines.append(String(pending[..<newline]))
                pending = String(pending[pending.index(after: newline)...])
                if lines.count == count { return lines }
            }
        }
        return lines
    }
}

/// `../shared` beside the checkout: reference data read at test time, never copied.
enum SharedData {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared")

    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func fixtureText(_ name: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent("fixtures/kube-apiserver/\(name)"), encoding: .utf8)
    }

    static var fixtureNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("fixtures/kube-apiserver").path)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted()
    }
}
