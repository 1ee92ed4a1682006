import Foundation
import SluiceTestSupport

/// How a command that is expected to fail exited and what it printed on stdout. (Kept local:
/// `Shell.run` drops stdout when a command fails, and `sluice validate` prints its problems there.)
struct CommandOutcome {
    var status: Int32
    var stdout: String

    static func run(_ command: [String]) throws -> CommandOutcome {
        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devNull) }
        let (outputRead, outputWrite) = try Subprocess.makePipe()
        let pid: pid_t
        do {
            pid = try Subprocess.spawn(
                command, in: nil, environment: Shell.environment, stdin: devNull, stdout: outputWrite, stderr: devNull)
        } catch {
            close(outputRead)
            close(outputWrite)
            throw error
        }
        close(outputWrite)
        let data = FileHandle(fileDescriptor: outputRead, closeOnDealloc: true).readDataToEndOfFile()
        return CommandOutcome(status: Subprocess.wait(pid), stdout: String(decoding: data, as: UTF8.self))
    }
}
