import Foundation

/// posix_spawn without Foundation's Process: Process.waitUntilExit spins a run loop and
/// deadlocked here when several tests waited at once on the two cooperative threads, and the
/// children it starts inherit a signal mask that blocks SIGTERM. This starts children with an
/// empty mask and default signal handlers, and waits with waitpid.
private let spawnLock = NSLock()

public enum Subprocess {
    public struct SpawnError: Error, CustomStringConvertible {
        public var command: [String]
        public var code: Int32
        public var description: String { "cannot start \(command.joined(separator: " ")): \(String(cString: strerror(code)))" }
    }

    /// Starts `command` (looked up in PATH) with its standard streams on the given descriptors.
    public static func spawn(
        _ command: [String], in directory: URL? = nil, environment: [String: String],
        stdin: Int32, stdout: Int32, stderr: Int32
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // Nothing else this process has open reaches the child: a listener inherited by a
        // kubectl started meanwhile would outlive the test that closed it.
        _ = closeFrom.map { $0(&actions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        // GNU env changes directory for the child (posix_spawn_file_actions_addchdir_np does not import).
        let command = directory.map { ["env", "-C", $0.path] + command } ?? command
        let argv = command.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        spawnLock.lock()
        let code = posix_spawnp(&pid, command[0], &actions, &attributes, argv, envp)
        spawnLock.unlock()
        guard code == 0 else { throw SpawnError(command: command, code: code) }
        return pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 on), looked up at run time:
    /// Glibc's module does not import the `_np` functions.
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// A pipe whose ends are close-on-exec. pipe2 does not import, so pipe + fcntl run under the
    /// lock spawns take: otherwise a child started in between could inherit the write end and
    /// keep the reader from ever seeing end-of-file.
    public static func makePipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        spawnLock.lock()
        defer { spawnLock.unlock() }
        guard pipe(&ends) == 0 else { throw SpawnError(command: ["pipe"], code: errno) }
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        return (ends[0], ends[1])
    }

    /// Blocks until `pid` exits; returns its exit status (128 + signal if it was killed).
    public static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
