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
    /// The whole text of the file, shared by every document read from it.
    let text: String
    /// Which document of the file (0-based).
    let documentIndex: Int
    /// Where the document's root starts.
    let start: SourceLocation

    init(file: String, text: String, documentIndex: Int, start: SourceLocation) {
        self.file = file
        self.text = text
        self.documentIndex = documentIndex
        self.start = start
    }

    /// The location of `path`, or of its nearest ancestor that is written in the file: for a
    /// mapping entry the line of its key, for a list item the line of the item.
    public func location(of path: FieldPath) -> SourceLocation? {
        guard !path.isRoot else { return start }
        guard let parser = try? Parser(yaml: text, resolver: .basic), var node = Self.document(documentIndex, of: parser)
        else { return start }
        var found = start
        for component in path.components {
            switch (component, node) {
            case (.key(let key), .mapping(let mapping)):
                guard let (keyNode, value) = mapping.first(where: { $0.key.scalar?.string == key }) else { return found }
                if let mark = keyNode.mark { found = SourceLocation(file: file, line: mark.line, column: mark.column) }
                node = value
            case (.index(let index), .sequence(let sequence)):
                guard sequence.indices.contains(index) else { return found }
                node = sequence[index]
                if let mark = node.mark { found = SourceLocation(file: file, line: mark.line, column: mark.column) }
            default:
                return found
            }
        }
        return found
    }

    private static func document(_ index: Int, of parser: Parser) -> Node? {
        var current = 0
        while let root = try? parser.nextRoot() {
            if current == index { return root }
            current += 1
        }
        return nil
    }

    public static func == (lhs: SourcePositions, rhs: SourcePositions) -> Bool {
        lhs.file == rhs.file && lhs.documentIndex == rhs.documentIndex && lhs.start == rhs.start
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(file)
        hasher.combine(documentIndex)
    }
}
