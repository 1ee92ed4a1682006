import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import SluiceTestSupport
import Testing

/// A `sluice` process a test started (the built binary, as a user runs it), its output in a log file.
final class AgentProcess: Sendable {
    static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let binary = package.appendingPathComponent(".build/debug/sluice").path

    let pid: pid_t
    let log: URL

    private init(pid: pid_t, log: URL) {
        self.pid = pid
        self.log = log
    }

    static func start(_ arguments: [String], log: URL, environment: [String: String] = [:]) throws -> AgentProcess {
        let logDescriptor = open(log.path, O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0o600)
        defer { close(logDescriptor) }
        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devNull) }
        let pid = try Subprocess.spawn(
            [binary] + arguments, environment: Shell.environment.merging(environment) { $1 }, stdin: devNull, stdout: logDescriptor,
            stderr: logDescriptor)
        return AgentProcess(pid: pid, log: log)
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Sends `signal` and waits for the exit; returns the wait status.
    @discardableResult
    func stop(_ signal: Int32 = SIGTERM) -> Int32 {
        guard kill(pid, signal) == 0 else { return -1 }
        return Subprocess.wait(pid)
    }

    deinit {
        if kill(pid, 0) == 0 { stop(SIGKILL) }
    }
}

/// Waits until `check` holds, polling every 50 ms; returns how long that took, or nil at `timeout`.
func eventually(timeout: Duration, _ check: () async -> Bool) async -> Duration? {
    let clock = ContinuousClock()
    let start = clock.now
    while clock.now - start < timeout {
        if await check() { return clock.now - start }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return nil
}

/// One HTTP answer, as a test reads it.
struct Answer: Sendable {
    var status: Int
    var body: String
}

/// GET through the proxy (or any loopback server) with a Host header; nil when no answer came.
func get(port: Int, address: String = "127.0.0.1", path: String, host: String? = nil) async -> Answer? {
    var request = HTTPClientRequest(url: "http://\(address):\(port)\(path)")
    if let host { request.headers.replaceOrAdd(name: "Host", value: host) }
    do {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), body: String(buffer: body))
    } catch {
        return nil
    }
}

/// Delivers a generic push webhook, signed as `X-Sluice-Signature` wants; returns the status.
func sendWebhook(port: Int, secret: String, repository: String) async -> Int? {
    let body = Array("{\"repository\": \"\(repository)\", \"ref\": \"refs/heads/main\"}".utf8)
    let signature = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/hook")
    request.method = .POST
    request.headers.add(name: "X-Sluice-Signature", value: "sha256=" + signature.map { String(format: "%02x", $0) }.joined())
    request.headers.add(name: "Content-Type", value: "application/json")
    request.body = .bytes(ByteBuffer(bytes: body))
    return try? await Int(HTTPClient.shared.execute(request, timeout: .seconds(5)).status.code)
}

/// The suites that start `sluice` processes (agents, API servers, git daemons), one at a time:
/// side by side on a 2-core machine they starve each other's timings.
@Suite(.serialized) enum AgentProcessSuites {}
