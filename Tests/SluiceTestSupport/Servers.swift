import Foundation

/// A server process the test started; stopped (SIGTERM, then reaped) by `stop()` or on release.
public final class ServerProcess: Sendable {
    public let pid: pid_t
    public let port: Int

    public init(pid: pid_t, port: Int) {
        self.pid = pid
        self.port = port
    }

    public func stop() {
        guard kill(pid, SIGTERM) == 0 else { return }
        _ = Subprocess.wait(pid)
    }

    deinit { stop() }

    /// Starts a server with stderr appended to `log`; returns its pid and the read end of
    /// its stdout.
    public static func launch(_ command: [String], outputTo log: URL) throws -> (pid: pid_t, stdout: FileHandle) {
        let logDescriptor = open(log.path, O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0o600)
        defer { close(logDescriptor) }
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(devNull) }
        let (outputRead, outputWrite) = try Subprocess.makePipe()
        let output = [outputRead, outputWrite]
        defer { close(output[1]) }
        let pid = try Subprocess.spawn(
            command, environment: Shell.environment, stdin: devNull, stdout: output[1], stderr: logDescriptor)
        return (pid, FileHandle(fileDescriptor: output[0], closeOnDealloc: true))
    }
}

/// `git daemon` exporting a directory on 127.0.0.1.
public enum GitDaemon {
    /// Starts the daemon on `port` (a free one when nil; a fixed one to restart it where it was).
    public static func start(exporting root: URL, port: Int? = nil) throws -> ServerProcess {
        let port = try port ?? freeLoopbackPort()
        let (pid, _) = try ServerProcess.launch(
            [
                "/usr/lib/git-core/git-daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1", "--port=\(port)",
                "--base-path=\(root.path)", root.path,
            ], outputTo: root.appendingPathComponent("../git-daemon.log"))
        let server = ServerProcess(pid: pid, port: port)
        try waitForListener(port: port)
        return server
    }
}

