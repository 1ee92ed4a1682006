import Dispatch
import Foundation
import OrderedCollections
import SluiceModel
import Synchronization

/// Writes objects exactly as `kubectl kustomize` prints them.
///
/// kustomize turns each object into JSON and back into YAML through a Go YAML v2 emitter, so its
/// output has that emitter's habits, all reproduced here: keys in "natural" order (digit runs
/// compare as numbers, non-letters before letters), floats normalised through JSON (`1.0` is
/// `1`), strings quoted whenever YAML 1.1 would read them as something else, plain scalars
/// folded at spaces past column 80, block literals for multi-line text, and sequences flush with
/// their parent key.
public struct KustomizeYAMLWriter: Sendable {
    /// A writer; it holds no state.
    public init() {}

    /// The stream of documents separated by `---`, as `kubectl kustomize` prints it.
    public func write(_ objects: [Object]) -> String {
        write(objects[...], first: true)
    }

    /// The same stream, handed to `emit` in pieces of whole documents (about `batch` objects
    /// each, in order), each object released (left empty in `objects`) once its document is
    /// written: neither the whole stream nor every tree need be in memory at the end.
    public func write(releasing objects: inout [Object], batch: Int = 2048, emit: (String) -> Void) {
        var start = objects.startIndex
        while start < objects.endIndex {
            let end = min(start + max(batch, 1), objects.endIndex)
            let text = write(objects[start..<end], first: start == objects.startIndex)
            // The slice above is gone: these objects are the array's alone and are freed here.
            for index in start..<end { objects[index] = Object([:]) }
            emit(text)
            start = end
        }
    }

    /// `objects` as a piece of the stream; `first` is false when documents come before it.
    private func write(_ objects: ArraySlice<Object>, first: Bool) -> String {
        let pieces = objects.count < 512 ? 1 : ProcessInfo.processInfo.activeProcessorCount * 4
        guard pieces > 1 else { return piece(objects, first: first) }
        // Documents are independent: large streams are written in pieces on all cores.
        let size = (objects.count + pieces - 1) / pieces
        let results = Mutex<[String]>(Array(repeating: "", count: pieces))
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            let start = objects.startIndex + min(piece * size, objects.count)
            let end = objects.startIndex + min(piece * size + size, objects.count)
            let text = self.piece(objects[start..<end], first: first && start == objects.startIndex)
            results.withLock { $0[piece] = text }
        }
        return results.withLock { texts in
            var output = ""
            output.reserveCapacity(texts.reduce(0) { $0 + $1.utf8.count })
            for index in texts.indices {
                output += texts[index]
                texts[index] = ""
            }
            return output
        }
    }

    private func piece(_ objects: ArraySlice<Object>, first: Bool) -> String {
        var output = ""
        for (offset, object) in objects.enumerated() {
            if offset > 0 || !first { output += "---\n" }
            output += write(object.value)
        }
        return output
    }

    /// One document, ending in a newline.
    public func write(_ value: JSONValue) -> String {
        var emitter = Emitter()
        emitter.document(value)
        return emitter.output
    }
}

/// Follows libyaml's emitter (as Go's yaml.v2 carries it) for the block styles kustomize uses:
/// the column and indentation bookkeeping decides where long scalars fold.
struct Emitter {
    var output = ""
    /// Characters (not bytes) written on the current line.
    var column = 0
    /// True right after an indentation or line start (libyaml's `whitespace`).
    var whitespace = true
    static let bestWidth = 80

    mutating func document(_ value: JSONValue) {
        switch value {
        case .object(let members) where !members.isEmpty:
            mapping(members, indent: 0, firstOnLine: false)
        case .array(let items) where !items.isEmpty:
            sequence(items, indent: 0, firstOnLine: false)
        default:
            scalarValue(value, indent: 0)
        }
        if column > 0 { newline() }
    }

    // MARK: - Collections

    /// A block mapping whose keys sit at `indent`; `firstOnLine` means the first key continues
    /// the current line (after `- `).
    mutating func mapping(_ members: JSONObject, indent: Int, firstOnLine: Bool) {
        var first = firstOnLine
        // Each key's scalars are taken once, not at every comparison.
        let keys = members.keys.map { ($0, Array($0.unicodeScalars)) }.sorted { NaturalOrder.less($0.1, $1.1) }.map(\.0)
        for key in keys {
            if first {
                first = false
            } else {
                writeIndent(indent)
            }
            scalar(key, style: Self.keyStyle(key), indent: indent + 2, allowBreaks: false)
            write(":")
            let value = members[key]!
            switch value {
            case .object(let child) where !child.isEmpty:
                mapping(child, indent: indent + 2, firstOnLine: false)
            case .array(let items) where !items.isEmpty:
                // Sequences in a mapping are not indented (libyaml's "indentless" sequence).
                sequence(items, indent: indent, firstOnLine: false)
            default:
                write(" ")
                scalarValue(value, indent: indent + 2)
            }
        }
    }

    mutating func sequence(_ items: [JSONValue], indent: Int, firstOnLine: Bool) {
        var first = firstOnLine
        for item in items {
            if first {
                first = false
            } else {
                writeIndent(indent)
            }
            write("- ")
            switch item {
            case .object(let child) where !child.isEmpty:
                mapping(child, indent: indent + 2, firstOnLine: true)
            case .array(let nested) where !nested.isEmpty:
                sequence(nested, indent: indent + 2, firstOnLine: true)
            default:
                scalarValue(item, indent: indent + 2)
            }
        }
    }

    mutating func scalarValue(_ value: JSONValue, indent: Int) {
        switch value {
        case .null: write("null")
        case .bool(let flag): write(flag ? "true" : "false")
        case .integer(let number): write(String(number))
        case .number(let number): write(Self.normalisedNumber(number))
        case .string(let text): scalar(text, style: Self.valueStyle(text), indent: indent, allowBreaks: true)
        case .array: write("[]")
        case .object: write("{}")
        }
    }

    /// A float as it comes out of kustomize's JSON round trip: Go's JSON text, read back by
    /// YAML v2 (integers stay integers), then written with `%g`.
    static func normalisedNumber(_ number: Double) -> String {
        if number.isNaN || number.isInfinite { return GoFloat.format(number) }
        let json = GoFloat.formatJSON(number)
        if let integer = Int64(json) { return String(integer) }
        if let unsigned = UInt64(json) { return String(unsigned) }
        return GoFloat.format(Double(json) ?? number)
    }

    // MARK: - Low-level writing

    mutating func write(_ text: String) {
        output += text
        column += text.count
        whitespace = text.last == " "
    }

    mutating func newline() {
        output += "\n"
        column = 0
        whitespace = true
    }

    mutating func writeIndent(_ indent: Int) {
        if column > 0 { newline() }
        if indent > 0 {
            output += String(repeating: " ", count: indent)
            column = indent
        }
        whitespace = true
    }
}
