import Foundation

extension Shell {
    /// What a command printed and how it exited, for commands whose non-zero exit is an answer
    /// (`diff` exits 1 when files differ), not a failure.
    public struct Outcome: Sendable {
        public var status: Int32
        /// Standard output, as bytes.
        public var data: Data
        public var errorOutput: String

        /// Standard output, as text.
        public var output: String { String(decoding: data, as: UTF8.self) }
    }

    /// Runs `command` and returns its exit status and output without throwing on a non-zero exit.
    public static func outcome(_ command: [String], in directory: URL? = nil) throws -> Outcome {
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID().uuidString)")
        let errorDescriptor = open(errorFile.path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o600)
        defer {
            close(errorDescriptor)
            unlink(errorFile.path)
        }
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(devNull) }
        let (outputRead, outputWrite) = try Subprocess.makePipe()
        let pid: pid_t
        do {
            pid = try Subprocess.spawn(
                command, in: directory, environment: environment, stdin: devNull, stdout: outputWrite, stderr: errorDescriptor)
        } catch {
            close(outputRead)
            close(outputWrite)
            throw error
        }
        close(outputWrite)
        let data = FileHandle(fileDescriptor: outputRead, closeOnDealloc: true).readDataToEndOfFile()
        let status = Subprocess.wait(pid)
        let errorText = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        return Outcome(status: status, data: data, errorOutput: errorText)
    }
}
