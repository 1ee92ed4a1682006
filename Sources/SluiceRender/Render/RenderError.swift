import SluiceModel

/// Why a kustomization could not be rendered, worded as kustomize words it, with the file (and
/// line, when one is known) the problem is in.
public struct RenderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the problem is: a path in the tree, with a line when it is known.
    public var location: SourceLocation?
    /// What is wrong, in kustomize's words where kustomize has them.
    public var message: String

    /// An error about `location` (nil when no file is involved).
    public init(_ message: String, at location: SourceLocation? = nil) {
        self.message = message
        self.location = location
    }

    init(_ message: String, file: String) {
        self.init(message, at: SourceLocation(file: file, line: 1))
    }

    init(_ error: YAMLError) {
        self.init("invalid YAML: \(error.message)", at: error.location)
    }

    /// `file:line: message`, or the message alone.
    public var description: String {
        guard let location else { return message }
        return "\(location.file):\(location.line): \(message)"
    }
}
