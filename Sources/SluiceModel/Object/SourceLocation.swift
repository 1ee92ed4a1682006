import Yams

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

/// Where the fields of one document were written. Lines are found on demand, by reading the
/// document again: they are needed only for the few fields an error names, and recording the
/// line of every field of every object up front cost more than parsing did.
public struct SourcePositions: Sendable, Hashable {
    public var file: String
    /// The document's own lines, from its root's line on.
    let text: Text
    /// How many lines of the file come before the document's text.
    let lineOffset: Int
    /// Where the document's root starts.
    let start: SourceLocation

    /// Where the document's text is found again when a line is asked for.
    enum Text: Sendable {
        /// A slice of the file's text, kept (it shares the file's storage).
        case kept(Substring)
        /// Bytes `range` of the file as `read` returns it: a render of many large files holds
        /// none of their text (as much memory as the input again) for errors that rarely come.
        case reread(range: Range<Int>, read: @Sendable () -> String?)
    }

    init(file: String, text: Text, lineOffset: Int, start: SourceLocation) {
        self.file = file
        self.text = text
        self.lineOffset = lineOffset
        self.start = start
    }

    /// The document's text, or nil when it can no longer be read.
    private var documentText: String? {
        switch text {
        case .kept(let slice):
            return String(slice)
        case .reread(let range, let read):
            guard let whole = read() else { return nil }
            let bytes = whole.utf8
            guard range.lowerBound >= 0, range.upperBound <= bytes.count else { return nil }
            let lower = bytes.index(bytes.startIndex, offsetBy: range.lowerBound)
            let upper = bytes.index(bytes.startIndex, offsetBy: range.upperBound)
            return String(decoding: bytes[lower..<upper], as: UTF8.self)
        }
    }

    /// The location of `path`, or of its nearest ancestor that is written in the file: for a
    /// mapping entry the line of its key, for a list item the line of the item.
    public func location(of path: FieldPath) -> SourceLocation? {
        guard !path.isRoot else { return start }
        guard let text = documentText, let parser = try? Parser(yaml: text, resolver: .basic), var node = try? parser.nextRoot()
        else { return start }
        var found = start
        for component in path.components {
            switch (component, node) {
            case (.key(let key), .mapping(let mapping)):
                guard let (keyNode, value) = mapping.first(where: { $0.key.scalar?.string == key }) else { return found }
                if let mark = keyNode.mark { found = SourceLocation(file: file, line: mark.line + lineOffset, column: mark.column) }
                node = value
            case (.index(let index), .sequence(let sequence)):
                guard sequence.indices.contains(index) else { return found }
                node = sequence[index]
                if let mark = node.mark { found = SourceLocation(file: file, line: mark.line + lineOffset, column: mark.column) }
            default:
                return found
            }
        }
        return found
    }

    public static func == (lhs: SourcePositions, rhs: SourcePositions) -> Bool {
        lhs.file == rhs.file && lhs.start == rhs.start
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(file)
        hasher.combine(start)
    }
}
