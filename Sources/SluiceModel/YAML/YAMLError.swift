/// A file that could not be read as YAML or as Kubernetes objects, with the place and the reason.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String

    public init(_ message: String, at location: SourceLocation) {
        self.message = message
        self.location = location
    }

    /// `file:line:column: message`.
    public var description: String {
        "\(location.file):\(location.line):\(location.column): \(message)"
    }

    /// The same error in a file whose piece started `lines` lines further down.
    func shifted(by lines: Int) -> YAMLError {
        var copy = self
        copy.location.line += lines
        return copy
    }
}
