import Foundation

/// Runs real commands (git, ssh-keygen, openssl) for the tests, failing loudly on a non-zero exit.
public enum Shell {
    public struct Failure: Error, CustomStringConvertible {
        public var command: [String]
        public var status: Int32
        public var stderr: String
        public var description: String { "\(command.joined(separator: " ")) exited \(status): \(stderr)" }

        public init(command: [String], status: Int32, stderr: String) {
            self.command = command
            self.status = status
            self.stderr = stderr
        }
    }

    /// The environment every test command gets: a fixed identity and clock-independent config.
    public static let environment: [String: String] = {
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_AUTHOR_NAME"] = "Sluice Test"
        environment["GIT_AUTHOR_EMAIL"] = "test@sluice.invalid"
        environment["GIT_COMMITTER_NAME"] = "Sluice Test"
        environment["GIT_COMMITTER_EMAIL"] = "test@sluice.invalid"
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        return environment
    }()

    /// Runs `command`, failing loudly on a non-zero exit; returns its standard output.
    @discardableResult
    public static func run(_ command: [String], in directory: URL? = nil) throws -> Data {
        let outcome = try outcome(command, in: directory)
        guard outcome.status == 0 else { throw Failure(command: command, status: outcome.status, stderr: outcome.errorOutput) }
        return outcome.data
    }

    public static func text(_ command: [String], in directory: URL? = nil) throws -> String {
        String(decoding: try run(command, in: directory), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A temporary directory removed when the value is released.
public final class TemporaryDirectory: Sendable {
    public let url: URL

    public init(_ label: String = "sluice-test") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func path(_ component: String) -> URL { url.appendingPathComponent(component) }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A port on 127.0.0.1 that was free a moment ago (for servers that cannot report their own).
///
/// Chosen below the kernel's ephemeral range: a port the kernel handed out itself would be handed out
/// again to the next outgoing connection (kubectl, git, an upstream) before the server binds it.
public func freeLoopbackPort() throws -> Int {
    let ephemeral = ephemeralPortRange()
    for _ in 0..<200 {
        let candidate = Int.random(in: 20_000..<min(ephemeral.lowerBound, 32_768))
        if loopbackPortIsFree(candidate) { return candidate }
    }
    throw Shell.Failure(command: ["bind"], status: errno, stderr: "no free loopback port below \(ephemeral.lowerBound)")
}

private func ephemeralPortRange() -> ClosedRange<Int> {
    let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
    let bounds = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
    guard bounds.count == 2, bounds[0] > 20_100, bounds[0] <= bounds[1] else { return 32_768...60_999 }
    return bounds[0]...bounds[1]
}

private func loopbackPortIsFree(_ port: Int) -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let length = socklen_t(MemoryLayout<sockaddr_in>.size)
    return withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 }
    }
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`.
public func waitForListener(port: Int, timeout: Duration = .seconds(10)) throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let descriptor = connectLoopback(port: port) {
            close(descriptor)
            return
        }
        usleep(20_000)
    }
    throw Shell.Failure(command: ["connect", "\(port)"], status: -1, stderr: "no listener after \(timeout)")
}

/// A TCP connection to 127.0.0.1:`port` (the caller closes the descriptor), or nil when refused.
public func connectLoopback(port: Int) -> Int32? {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
    if connected { return descriptor }
    close(descriptor)
    return nil
}
