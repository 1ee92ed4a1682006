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
    /// The file and where its text is found again: one for all the documents of a file.
    private var origin: Origin
    /// The document's bytes in the file's text, from its root's line on.
    private let range: Range<Int>
    /// How many lines of the file come before the document's text.
    private let lineOffset: Int32
    /// Where the document's root starts (in `file`).
    private let startLine: Int32
    private let startColumn: Int32

    /// The file the document was read from.
    public var file: String {
        get { origin.file }
        set { origin = Origin(file: newValue, text: origin.text) }
    }

    /// Where the document's root starts.
    var start: SourceLocation { SourceLocation(file: file, line: Int(startLine), column: Int(startColumn)) }

    /// A file's name and how its text is found. A render holds tens of thousands of documents'
    /// positions: what they share is held once, so that each is a few integers and a reference.
    final class Origin: Sendable {
        let file: String
        let text: Text

        init(file: String, text: Text) {
            self.file = file
            self.text = text
        }
    }

    /// Where a file's text is found again when a line is asked for.
    enum Text: Sendable {
        /// The file's text, kept.
        case kept(String)
        /// The file's text as `read` returns it: a render of many large files holds none of
        /// their text (as much memory as the input again) for errors that rarely come.
        case reread(@Sendable () -> String?)
    }

    /// The positions of the document in bytes `range` of `origin`'s text, whose root is at `start`.
    init(origin: Origin, range: Range<Int>, lineOffset: Int, start: SourceLocation) {
        self.origin = origin
        self.range = range
        self.lineOffset = Int32(clamping: lineOffset)
        self.startLine = Int32(clamping: start.line)
        self.startColumn = Int32(clamping: start.column)
    }

    /// The document's text, or nil when it can no longer be read.
    private var documentText: String? {
        let whole: String
        switch origin.text {
        case .kept(let text):
            whole = text
        case .reread(let read):
            guard let text = read() else { return nil }
            whole = text
        }
        let bytes = whole.utf8
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else { return nil }
        let lower = bytes.index(bytes.startIndex, offsetBy: range.lowerBound)
        let upper = bytes.index(bytes.startIndex, offsetBy: range.upperBound)
        return String(decoding: bytes[lower..<upper], as: UTF8.self)
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
                if let mark = keyNode.mark { found = SourceLocation(file: file, line: mark.line + Int(lineOffset), column: mark.column) }
                node = value
            case (.index(let index), .sequence(let sequence)):
                guard sequence.indices.contains(index) else { return found }
                node = sequence[index]
                if let mark = node.mark { found = SourceLocation(file: file, line: mark.line + Int(lineOffset), column: mark.column) }
            default:
                return found
            }
        }
        return found
    }

    public static func == (lhs: SourcePositions, rhs: SourcePositions) -> Bool {
        lhs.file == rhs.file && lhs.startLine == rhs.startLine && lhs.startColumn == rhs.startColumn
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(file)
        hasher.combine(startLine)
        hasher.combine(startColumn)
    }
}
