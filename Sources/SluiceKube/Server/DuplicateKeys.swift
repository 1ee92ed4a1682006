import Foundation
import SluiceModel

/// Duplicate mapping keys in an apply body: the API server's YAML decoder keeps the last value
/// and warns (or refuses, under `fieldValidation=Strict`); SluiceModel's decoder refuses them, so
/// the router finds the duplicate in its error and drops the earlier occurrences.
enum DuplicateKeys {
    /// The key and the line of its second occurrence, from a YAMLDecoder error.
    static func duplicate(in error: YAMLError) -> (key: String, line: Int)? {
        let message = error.message
        guard message.hasPrefix("mapping key \""), message.hasSuffix("\" already defined") else { return nil }
        let key = message.dropFirst("mapping key \"".count).dropLast("\" already defined".count)
        guard !key.contains("\"") else { return nil }
        return (String(key), error.location.line)
    }

    /// The line go-yaml names for a duplicate key: where its value starts (the key's own line
    /// for an inline value, the next non-blank line for a block).
    static func valueLine(afterKeyAt line: Int, in text: String) -> Int {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard line >= 1, line <= lines.count, let colon = lines[line - 1].firstIndex(of: ":") else { return line }
        let rest = lines[line - 1][lines[line - 1].index(after: colon)...].trimmingCharacters(in: .whitespaces)
        if !rest.isEmpty, !rest.hasPrefix("#") { return line }
        var next = line
        while next < lines.count, lines[next].trimmingCharacters(in: .whitespaces).isEmpty { next += 1 }
        return next + 1
    }

    /// The document parsed with each duplicated key's earlier block removed (last one wins).
    static func lastWins(_ text: String) -> JSONValue? {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0..<16 {
            do {
                return try YAMLDecoder().documents(lines.joined(separator: "\n"), file: "body").first?.value
            } catch {
                guard let found = duplicate(in: error), found.line >= 1, found.line <= lines.count else { return nil }
                let second = found.line - 1
                let indent = lines[second].prefix { $0 == " " }.count
                // The earlier occurrence: the nearest line above with the same indentation and key.
                guard let first = (0..<second).reversed().first(where: { index in
                    let line = lines[index]
                    return line.prefix { $0 == " " }.count == indent
                        && line.dropFirst(indent).hasPrefix(found.key + ":")
                }) else { return nil }
                var end = first + 1
                while end < second, lines[end].prefix(while: { $0 == " " }).count > indent
                    || (lines[end].dropFirst(indent).hasPrefix("- ") && lines[end].prefix(while: { $0 == " " }).count == indent)
                {
                    end += 1
                }
                lines.removeSubrange(first..<end)
            }
        }
        return nil
    }
}
