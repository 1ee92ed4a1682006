// libyaml is the parser inside Yams; its events are read here directly (see `EventComposer`).
import CYaml

/// Builds JSON values straight from libyaml's parse events.
///
/// Yams composes a `Node` tree first, hashes every mapping's keys to find duplicates, and only
/// then could the tree be walked into `JSONValue`s: ValidateBenchmark measured that as several
/// times libyaml's own parsing. Reading the events once does the same work: duplicate keys are
/// found while the mapping is built (with the second key's line), aliases are expanded under the
/// node budget, and anchors live for one document, as YAML defines them.
struct EventComposer {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let file: String
    private let maxNodes: Int
    private let maxDepth: Int
    private var nodes = 0
    private var anchors: [String: (value: JSONValue, nodes: Int)] = [:]
    /// Strings met so far that do not fit inline in a `String` (over 15 bytes): a stream of
    /// similar objects repeats them (`gateway.networking.k8s.io/v1` in every route), and one
    /// shared copy costs a reference where each copy would cost an allocation.
    private var strings: Set<String> = []
    /// Small mappings and sequences of plain scalars met so far (`ports: [{port: 80}]` in every
    /// Service, a route's `parentRefs`): an equal one is shared rather than allocated again.
    /// Values are copied on write, so an object that later changes a shared one gets its own.
    private var subtrees: Set<JSONValue> = []

    /// The most nodes a shared subtree may hold: small enough that hashing it costs little, and
    /// large enough for the small mappings that repeat across the objects of a file.
    private static let maxSharedNodes = 8

    /// One document's value and where its root starts.
    struct Document {
        var value: JSONValue
        var location: SourceLocation
    }

    /// Every document of `text`; lines and columns are those of `text` (1-based).
    static func documents(in text: String, file: String, maxNodes: Int, maxDepth: Int) throws(YAMLError) -> [Document] {
        var text = text
        let result = text.withUTF8 { bytes -> Result<[Document], YAMLError> in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return .success([]) }
            let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
            defer { parser.deallocate() }
            guard yaml_parser_initialize(parser) == 1 else {
                return .failure(YAMLError("out of memory starting the YAML parser", at: SourceLocation(file: file, line: 1)))
            }
            defer { yaml_parser_delete(parser) }
            yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(parser, base, bytes.count)
            var composer = EventComposer(parser: parser, file: file, maxNodes: maxNodes, maxDepth: maxDepth)
            return Result { () throws(YAMLError) in try composer.stream() }
        }
        return try result.get()
    }

    private init(parser: UnsafeMutablePointer<yaml_parser_t>, file: String, maxNodes: Int, maxDepth: Int) {
        self.parser = parser
        self.file = file
        self.maxNodes = maxNodes
        self.maxDepth = maxDepth
    }

    private mutating func stream() throws(YAMLError) -> [Document] {
        var documents: [Document] = []
        guard case .streamStart = try next() else { throw YAMLError("expected the start of a YAML stream", at: at(line: 1, column: 1)) }
        while true {
            switch try next() {
            case .streamEnd:
                return documents
            case .documentStart:
                nodes = 0
                anchors = [:]
                let root = try next()
                let location = root.location(in: file)
                let value = try compose(root, depth: 0)
                guard case .documentEnd = try next() else { throw YAMLError("expected the end of a document", at: location) }
                documents.append(Document(value: value, location: location))
            case let other:
                throw YAMLError("expected a document", at: other.location(in: file))
            }
        }
    }

    private mutating func compose(_ event: Event, depth: Int) throws(YAMLError) -> JSONValue {
        let location = event.location(in: file)
        try count(1, at: location)
        guard depth <= maxDepth else {
            throw YAMLError("document nests deeper than \(maxDepth) levels", at: location)
        }
        switch event {
        case .scalar(let scalar, _):
            var value = try YAMLScalarResolution.resolve(scalar.value, tag: scalar.tag, isPlain: scalar.isPlain, at: location)
            if case .string(let text) = value { value = .string(shared(text)) }
            remember(scalar.anchor, value, nodes: 1)
            return value
        case .alias(let anchor, _):
            guard let anchored = anchors[anchor] else { throw YAMLError("found undefined alias", at: location) }
            // Each use of an alias costs what its anchor expands to (the first node is counted above).
            try count(anchored.nodes - 1, at: location)
            return anchored.value
        case .sequenceStart(let anchor, _):
            let before = nodes
            var items: [JSONValue] = []
            while true {
                let item = try next()
                if case .sequenceEnd = item { break }
                items.append(try compose(item, depth: depth + 1))
            }
            let value = shared(JSONValue.array(items.capacity > items.count ? Array(exactly: items) : items))
            remember(anchor, value, nodes: nodes - before + 1)
            return value
        case .mappingStart(let anchor, _):
            let before = nodes
            let value = shared(JSONValue.object(try mapping(depth: depth)))
            remember(anchor, value, nodes: nodes - before + 1)
            return value
        default:
            throw YAMLError("unexpected YAML event", at: location)
        }
    }

    private mutating func mapping(depth: Int) throws(YAMLError) -> JSONObject {
        var members: JSONObject = [:]
        var merged: [JSONObject] = []
        while true {
            let keyEvent = try next()
            if case .mappingEnd = keyEvent { break }
            let keyLocation = keyEvent.location(in: file)
            guard case .scalar(let keyScalar, _) = keyEvent else {
                // Keys that are collections, or aliases, have no place in a Kubernetes object.
                throw YAMLError("mapping keys must be scalars", at: keyLocation)
            }
            let key = shared(keyScalar.value)
            let valueEvent = try next()
            if key == "<<", keyScalar.isPlain {
                merged += try mergeSources(valueEvent, depth: depth)
                continue
            }
            if members.index(forKey: key) != nil {
                throw YAMLError("mapping key \"\(key)\" already defined", at: keyLocation)
            }
            members.append(key, try compose(valueEvent, depth: depth + 1))
        }
        // Keys written in the mapping win over merged ones; earlier merge sources win over later.
        for source in merged {
            for (key, value) in source where members.index(forKey: key) == nil { members.append(key, value) }
        }
        // A render holds hundreds of thousands of these: no spare capacity is kept.
        members.shrinkToFit()
        return members
    }

    private mutating func mergeSources(_ event: Event, depth: Int) throws(YAMLError) -> [JSONObject] {
        let location = event.location(in: file)
        let refused = YAMLError("a merge key (<<) takes a mapping or a sequence of mappings", at: location)
        switch try compose(event, depth: depth + 1) {
        case .object(let members):
            return [members]
        case .array(let items):
            var sources: [JSONObject] = []
            for item in items {
                guard case .object(let members) = item else { throw refused }
                sources.append(members)
            }
            return sources
        default:
            throw refused
        }
    }

    /// `text`, or an equal string met before.
    private mutating func shared(_ text: String) -> String {
        let length = text.utf8.count
        // Short strings are stored inline; long ones are rarely repeated and costly to hash.
        guard length > 15, length <= 128, Self.isASCII(text) else { return text }
        return strings.insert(text).memberAfterInsert
    }

    /// `value`, or an equal small mapping or sequence met before.
    private mutating func shared(_ value: JSONValue) -> JSONValue {
        var budget = Self.maxSharedNodes
        guard Self.isShareable(value, budget: &budget) else { return value }
        return subtrees.insert(value).memberAfterInsert
    }

    /// Whether `value` may stand for every value equal to it: at most `budget` nodes, and
    /// nothing that equals a value written differently. `String`s are equal when canonically
    /// equivalent (`é` as one code point or two) and doubles when `0.0` and `-0.0`: sharing
    /// those would print other bytes than the file has, so only ASCII strings, integers,
    /// booleans and nulls are shared.
    private static func isShareable(_ value: JSONValue, budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        switch value {
        case .null, .bool, .integer:
            return true
        case .number:
            return false
        case .string(let text):
            return isASCII(text)
        case .array(let items):
            return items.allSatisfy { isShareable($0, budget: &budget) }
        case .object(let members):
            return members.allSatisfy { isASCII($0.key) && isShareable($0.value, budget: &budget) }
        }
    }

    /// ASCII strings are equal only when their bytes are.
    private static func isASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 < 0x80 }
    }

    private mutating func count(_ added: Int, at location: SourceLocation) throws(YAMLError) {
        nodes += added
        guard nodes <= maxNodes else {
            throw YAMLError(
                "document expands to more than \(maxNodes) nodes (aliases are counted each time they are used)",
                at: location)
        }
    }

    private mutating func remember(_ anchor: String?, _ value: JSONValue, nodes: Int) {
        if let anchor { anchors[anchor] = (value, nodes) }
    }

    private func at(line: Int, column: Int) -> SourceLocation { SourceLocation(file: file, line: line, column: column) }

    // MARK: Events

    struct Scalar {
        var value: String
        /// The tag as written (`tag:yaml.org,2002:int`, `!`), the `str` tag for an untagged quoted
        /// scalar, or "" for an untagged plain one: the tags Yams gave its nodes.
        var tag: String
        var isPlain: Bool
        var anchor: String?
    }

    /// A libyaml event, copied out of C memory so the event can be freed at once.
    enum Event {
        case streamStart, streamEnd
        case documentStart, documentEnd
        case alias(anchor: String, Mark)
        case scalar(Scalar, Mark)
        case sequenceStart(anchor: String?, Mark)
        case sequenceEnd
        case mappingStart(anchor: String?, Mark)
        case mappingEnd
        case other(Mark)

        typealias Mark = (line: Int, column: Int)

        func location(in file: String) -> SourceLocation {
            switch self {
            case .alias(_, let mark), .scalar(_, let mark), .sequenceStart(_, let mark), .mappingStart(_, let mark), .other(let mark):
                SourceLocation(file: file, line: mark.line, column: mark.column)
            default:
                SourceLocation(file: file, line: 1, column: 1)
            }
        }
    }

    private func next() throws(YAMLError) -> Event {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else { throw parserError() }
        defer { yaml_event_delete(&event) }
        let mark = (line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        switch event.type {
        case YAML_STREAM_START_EVENT: return .streamStart
        case YAML_STREAM_END_EVENT: return .streamEnd
        case YAML_DOCUMENT_START_EVENT: return .documentStart
        case YAML_DOCUMENT_END_EVENT: return .documentEnd
        case YAML_ALIAS_EVENT:
            return .alias(anchor: Self.string(event.data.alias.anchor) ?? "", mark)
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            // A scalar may hold NUL characters: its length, not a terminator, ends it.
            let value = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
            let tag = data.quoted_implicit == 1 ? "tag:yaml.org,2002:str" : Self.string(data.tag) ?? ""
            let isPlain = data.style == YAML_PLAIN_SCALAR_STYLE || data.style == YAML_ANY_SCALAR_STYLE
            return .scalar(Scalar(value: value, tag: tag, isPlain: isPlain, anchor: Self.string(data.anchor)), mark)
        case YAML_SEQUENCE_START_EVENT: return .sequenceStart(anchor: Self.string(event.data.sequence_start.anchor), mark)
        case YAML_SEQUENCE_END_EVENT: return .sequenceEnd
        case YAML_MAPPING_START_EVENT: return .mappingStart(anchor: Self.string(event.data.mapping_start.anchor), mark)
        case YAML_MAPPING_END_EVENT: return .mappingEnd
        default: return .other(mark)
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(decodingCString: $0, as: UTF8.self) }
    }

    /// libyaml's error, worded as Yams words it: the problem, then what was being parsed and where.
    private func parserError() -> YAMLError {
        let state = parser.pointee
        let problem = state.problem.map { String(cString: $0) } ?? "unknown YAML error"
        let problemMark = at(line: Int(state.problem_mark.line) + 1, column: Int(state.problem_mark.column) + 1)
        switch state.error {
        case YAML_READER_ERROR:
            return YAMLError("\(problem) at byte \(state.problem_offset)", at: at(line: 1, column: 1))
        case YAML_SCANNER_ERROR, YAML_PARSER_ERROR, YAML_COMPOSER_ERROR:
            guard let context = state.context else { return YAMLError(problem, at: problemMark) }
            return YAMLError("\(problem) (\(String(cString: context)) at line \(state.context_mark.line + 1))", at: problemMark)
        default:
            return YAMLError(problem, at: problemMark)
        }
    }
}
