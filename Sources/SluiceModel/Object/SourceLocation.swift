/// Where something came from in the user's files: a path (relative to the repository or the
/// directory given), a 1-based line and column.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int = 1) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line`, the prefix of every message about a file.
    public var description: String { "\(file):\(line)" }
}

/// The line and column of every field of one document, keyed by field path, so that an error
/// about `spec.rules[1].backendRefs[0].weight` can name the line it is on.
public struct SourcePositions: Sendable, Hashable {
    public var file: String
    var lines: [FieldPath: (line: Int, column: Int)]

    public init(file: String) {
        self.file = file
        self.lines = [:]
    }

    mutating func record(_ path: FieldPath, line: Int, column: Int) {
        lines[path] = (line, column)
    }

    /// The location of `path`, or of its nearest recorded ancestor.
    public func location(of path: FieldPath) -> SourceLocation? {
        var components = path.components
        while true {
            if let found = lines[FieldPath(components)] {
                return SourceLocation(file: file, line: found.line, column: found.column)
            }
            guard !components.isEmpty else { return nil }
            components.removeLast()
        }
    }

    public static func == (lhs: SourcePositions, rhs: SourcePositions) -> Bool {
        lhs.file == rhs.file && lhs.lines.count == rhs.lines.count
            && lhs.lines.allSatisfy { key, value in rhs.lines[key].map { $0 == value } ?? false }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(file)
        hasher.combine(lines.count)
    }
}
