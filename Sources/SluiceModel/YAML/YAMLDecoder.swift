import Dispatch
import Foundation
import OrderedCollections
import Synchronization

/// Reads YAML (and JSON, its subset) into `JSONValue` trees and `Object`s, keeping key order and
/// the line of every field.
///
/// Plain scalars resolve by the YAML 1.2 core schema, as kustomize's kyaml does: only
/// `true`/`false` are booleans (`yes`, `on` stay strings), `null`, `~` and the empty value are
/// null, integers are decimal, `0o` octal or `0x` hex. Quoted scalars are always strings.
/// Merge keys (`<<`) are applied. Aliases are expanded under a budget of nodes, so an alias bomb
/// is an error rather than an exhausted machine.
public struct YAMLDecoder: Sendable {
    /// The most nodes one document may expand to (aliases count each time they are used).
    public var maxNodes: Int
    /// The deepest nesting one document may have.
    public var maxDepth: Int

    /// Whether a large stream is parsed in pieces on all cores. The trees built on other threads
    /// live in other malloc arenas, which a caller that goes on to transform them on its own
    /// thread pays for in memory (the renderer turns it off).
    public var parallel: Bool

    public init(maxNodes: Int = 1_000_000, maxDepth: Int = 256, parallel: Bool = true) {
        self.maxNodes = maxNodes
        self.maxDepth = maxDepth
        self.parallel = parallel
    }

    /// One parsed document: its value and where each field was written.
    public struct Document: Sendable {
        public var value: JSONValue
        public var positions: SourcePositions
        /// Where the document starts.
        public var location: SourceLocation
    }

    /// Every document of a multi-document stream, empty ones included (as null).
    ///
    /// With `reread`, the documents' positions keep no part of `text`: when the line of a field
    /// is asked for, `reread` reads the file again (it must return the same text).
    public func documents(_ text: String, file: String, reread: (@Sendable () -> String?)? = nil) throws(YAMLError) -> [Document] {
        let chunks = parallel ? Self.chunks(of: text) : [(text: text[...], lineOffset: 0)]
        let parsed: [Result<[ParsedDocument], YAMLError>]
        if chunks.count == 1 {
            parsed = [Result { () throws(YAMLError) in try parse(text, file: file, lineOffset: 0) }]
        } else {
            // Documents are independent (anchors do not cross them), so large streams are
            // parsed in pieces on all cores, then put back in order.
            let results = Mutex<[Result<[ParsedDocument], YAMLError>?]>(Array(repeating: nil, count: chunks.count))
            DispatchQueue.concurrentPerform(iterations: chunks.count) { index in
                let chunk = chunks[index]
                let result = Result { () throws(YAMLError) in
                    try parse(String(chunk.text), file: file, lineOffset: chunk.lineOffset)
                }
                results.withLock { $0[index] = result }
            }
            parsed = results.withLock { $0.map { $0! } }
        }
        var all: [ParsedDocument] = []
        for result in parsed { all += try result.get() }
        // Each document keeps only where its own lines are in the file, so that finding the line
        // of a field re-reads one document, not the whole file; the file's text (or how to read
        // it again) is held once for all its documents.
        let lineStarts = Self.lineStarts(of: text, at: all.map(\.location.line))
        let origin = SourcePositions.Origin(file: file, text: reread.map { .reread($0) } ?? .kept(text))
        var documents: [Document] = []
        documents.reserveCapacity(all.count)
        for (index, document) in all.enumerated() {
            let start = lineStarts[document.location.line] ?? text.startIndex
            let end = index + 1 < all.count ? lineStarts[all[index + 1].location.line] ?? text.endIndex : text.endIndex
            let lower = text.utf8.distance(from: text.startIndex, to: start)
            let upper = max(lower, text.utf8.distance(from: text.startIndex, to: end))
            documents.append(Document(
                value: document.value,
                positions: SourcePositions(origin: origin, range: lower..<upper, lineOffset: document.location.line - 1, start: document.location),
                location: document.location))
        }
        return documents
    }

    /// Where each of `lines` (1-based) starts in `text`.
    private static func lineStarts(of text: String, at lines: [Int]) -> [Int: String.Index] {
        let wanted = Set(lines)
        var starts: [Int: String.Index] = [:]
        var line = 1
        if wanted.contains(1) { starts[1] = text.startIndex }
        var index = text.utf8.startIndex
        while index < text.utf8.endIndex, starts.count < wanted.count {
            if text.utf8[index] == UInt8(ascii: "\n") {
                line += 1
                let next = text.utf8.index(after: index)
                if wanted.contains(line) { starts[line] = next }
            }
            index = text.utf8.index(after: index)
        }
        return starts
    }

    private struct ParsedDocument: Sendable {
        var value: JSONValue
        var location: SourceLocation
    }

    /// Parses one piece of a stream whose first line is line `lineOffset + 1` of the file.
    private func parse(_ text: String, file: String, lineOffset: Int) throws(YAMLError) -> [ParsedDocument] {
        do {
            return try EventComposer.documents(in: text, file: file, maxNodes: maxNodes, maxDepth: maxDepth).map {
                ParsedDocument(value: $0.value, location: SourceLocation(file: file, line: $0.location.line + lineOffset, column: $0.location.column))
            }
        } catch {
            throw error.shifted(by: lineOffset)
        }
    }

    /// Splits a large stream at `---` lines into a few pieces of similar size. Streams with
    /// directives (`%`) or explicit document ends (`...`) are left whole.
    static func chunks(of text: String) -> [(text: Substring, lineOffset: Int)] {
        let pieces = ProcessInfo.processInfo.activeProcessorCount * 4
        guard text.utf8.count > 256 * 1024, pieces > 1 else { return [(text[...], 0)] }
        let target = text.utf8.count / pieces
        var chunks: [(text: Substring, lineOffset: Int)] = []
        var chunkStart = text.startIndex
        var chunkLine = 0
        var line = 0
        var lineStart = text.startIndex
        let utf8 = text.utf8
        var index = utf8.startIndex
        while index < utf8.endIndex {
            let byte = utf8[index]
            if index == lineStart {
                if byte == UInt8(ascii: "%") || (byte == UInt8(ascii: ".") && text[index...].hasPrefix("...")) {
                    return [(text[...], 0)]
                }
                if byte == UInt8(ascii: "-"), text[index...].hasPrefix("---"),
                    text.utf8.distance(from: chunkStart, to: index) >= target, index != chunkStart
                {
                    let after = text.utf8.index(index, offsetBy: 3)
                    if after == utf8.endIndex || [UInt8(ascii: "\n"), UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r")].contains(utf8[after]) {
                        chunks.append((text[chunkStart..<index], chunkLine))
                        chunkStart = index
                        chunkLine = line
                    }
                }
            }
            if byte == UInt8(ascii: "\n") {
                line += 1
                lineStart = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        chunks.append((text[chunkStart...], chunkLine))
        return chunks
    }

    /// The Kubernetes objects of a stream. Empty documents are skipped, as kubectl does; a
    /// document that is not a mapping, or lacks `apiVersion` or `kind`, is an error at its line.
    /// `reread` is as for `documents(_:file:reread:)`.
    public func objects(_ text: String, file: String, reread: (@Sendable () -> String?)? = nil) throws(YAMLError) -> [Object] {
        let documents = try documents(text, file: file, reread: reread)
        var objects: [Object] = []
        objects.reserveCapacity(documents.count)
        for document in documents {
            switch document.value {
            case .null:
                continue
            case .object(let members):
                for key in ["apiVersion", "kind"] where members[key]?.stringValue?.isEmpty ?? true {
                    throw YAMLError(
                        "object has no \(key)" + (members[key] == nil ? "" : " string"), at: document.location)
                }
                objects.append(Object(members, positions: document.positions))
            default:
                throw YAMLError(
                    "expected a mapping (an object), found \(document.value.typeName == "array" ? "a sequence" : "a \(document.value.typeName)")",
                    at: document.location)
            }
        }
        return objects
    }
}

/// How scalars resolve, shared by the decoder and the encoder (which must quote any string
/// that would resolve to something else).
enum YAMLScalarResolution {
    /// A scalar's value from its text, its tag (as `EventComposer.Scalar` has it) and whether it
    /// was written plain (unquoted).
    static func resolve(_ text: String, tag: String, isPlain: Bool, at location: SourceLocation) throws(YAMLError) -> JSONValue {
        switch tag {
        case "", "?":
            break
        case "!", "tag:yaml.org,2002:str", "tag:yaml.org,2002:binary", "tag:yaml.org,2002:timestamp":
            return .string(text)
        case "tag:yaml.org,2002:null":
            return .null
        case "tag:yaml.org,2002:bool":
            guard let value = coreBool(text) else { throw YAMLError("invalid !!bool value \"\(text)\"", at: location) }
            return .bool(value)
        case "tag:yaml.org,2002:int":
            guard let value = coreInteger(text) else { throw YAMLError("invalid !!int value \"\(text)\"", at: location) }
            return .integer(value)
        case "tag:yaml.org,2002:float":
            if let value = coreInteger(text) { return .number(Double(value)) }
            guard let value = coreFloat(text) else { throw YAMLError("invalid !!float value \"\(text)\"", at: location) }
            return .number(value)
        default:
            return .string(text)
        }
        guard isPlain else { return .string(text) }
        return resolvePlain(text)
    }

    /// The YAML 1.2 core schema's resolution of a plain scalar.
    static func resolvePlain(_ text: String) -> JSONValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        default: break
        }
        if let value = coreBool(text) { return .bool(value) }
        guard let first = text.utf8.first,
            first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        else { return .string(text) }
        if let value = coreInteger(text) { return .integer(value) }
        if let value = coreFloat(text) { return .number(value) }
        return .string(text)
    }

    static func coreBool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": true
        case "false", "False", "FALSE": false
        default: nil
        }
    }

    static func coreInteger(_ text: String) -> Int64? {
        if text.hasPrefix("0x") { return Int64(text.dropFirst(2), radix: 16) }
        if text.hasPrefix("0o") { return Int64(text.dropFirst(2), radix: 8) }
        var digits = Substring(text)
        if digits.hasPrefix("+") { digits = digits.dropFirst() }
        let body = digits.hasPrefix("-") ? digits.dropFirst() : digits
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(digits)
    }

    static func coreFloat(_ text: String) -> Double? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        // [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
        var scalars = Substring(text).utf8[...]
        func digitRun() -> Int {
            var count = 0
            while let byte = scalars.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                scalars = scalars.dropFirst()
                count += 1
            }
            return count
        }
        if let sign = scalars.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { scalars = scalars.dropFirst() }
        let whole = digitRun()
        var fraction = 0
        if scalars.first == UInt8(ascii: ".") {
            scalars = scalars.dropFirst()
            fraction = digitRun()
            if whole == 0 && fraction == 0 { return nil }
        } else if whole == 0 {
            return nil
        }
        if let e = scalars.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            scalars = scalars.dropFirst()
            if let sign = scalars.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { scalars = scalars.dropFirst() }
            guard digitRun() > 0 else { return nil }
        }
        guard scalars.isEmpty else { return nil }
        return Double(text)
    }
}
