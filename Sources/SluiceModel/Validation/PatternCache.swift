import Foundation
import Synchronization

/// Compiled patterns and recent verdicts, shared: validating 10,000 routes must not compile the
/// same pattern 10,000 times, nor run ICU again for a value it has just judged (`edge`, `Service`,
/// `x-canary` repeat in every route). The DNS-name patterns every Gateway API object carries are
/// checked by a scan of their grammar instead (`DNSNamePattern`), which is also exact where ICU's
/// `$` would let a trailing newline through and Go's RE2, the server's engine, does not.
final class PatternCache: Sendable {
    static let shared = PatternCache()
    /// Verdicts kept per pattern before that pattern's memory is dropped and started again.
    private static let verdictLimit = 4096

    private struct Entry {
        var regex: NSRegularExpression?
        var verdicts: [String: Bool] = [:]
    }

    private let storage = Mutex<[String: Entry]>([:])

    /// The compiled pattern (CEL's `matches()` searches with it), or nil when it does not compile.
    func regex(for pattern: String) -> NSRegularExpression? {
        if let entry = storage.withLock({ $0[pattern] }) { return entry.regex }
        let regex = try? NSRegularExpression(pattern: pattern)
        storage.withLock { $0[pattern] = $0[pattern] ?? Entry(regex: regex) }
        return regex
    }

    /// Whether `text` matches `pattern` (anchored as the pattern says), as OpenAPI `pattern` checks.
    func matches(_ text: String, pattern: String) -> Bool {
        if let grammar = DNSNamePattern(pattern) { return grammar.matches(text) }
        let cached: (regex: NSRegularExpression?, verdict: Bool?)? = storage.withLock {
            guard let entry = $0[pattern] else { return nil }
            return (entry.regex, entry.verdicts[text])
        }
        if let verdict = cached?.verdict { return verdict }
        let regex = cached == nil ? self.regex(for: pattern) : cached?.regex
        let verdict = regex.map { $0.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil } ?? false
        storage.withLock { entries in
            var entry = entries[pattern] ?? Entry(regex: regex)
            if entry.verdicts.count >= Self.verdictLimit { entry.verdicts.removeAll(keepingCapacity: true) }
            entry.verdicts[text] = verdict
            entries[pattern] = entry
        }
        return verdict
    }
}

/// The RFC 1123 name patterns of Kubernetes and the Gateway API, recognised by their exact text
/// and matched by scanning: a label is `[a-z0-9]` runs joined by `-`, starting and ending with an
/// alphanumeric; a subdomain is labels joined by `.`.
enum DNSNamePattern {
    /// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
    case label
    /// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
    case subdomain
    /// `^$|` and the subdomain pattern (an empty group is the core group).
    case emptyOrSubdomain
    /// `^(\*\.)?` and the subdomain pattern (Gateway API hostnames).
    case wildcardSubdomain
    /// `^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$` (Gateway API kinds).
    case kind

    private static let labelText = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
    private static let subdomainText = labelText + #"(\."# + labelText + ")*"
    private static let recognised: [String: DNSNamePattern] = [
        "^" + labelText + "$": .label,
        "^" + subdomainText + "$": .subdomain,
        "^$|^" + subdomainText + "$": .emptyOrSubdomain,
        #"^(\*\.)?"# + subdomainText + "$": .wildcardSubdomain,
        "^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$": .kind,
    ]

    init?(_ pattern: String) {
        guard let known = Self.recognised[pattern] else { return nil }
        self = known
    }

    func matches(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        switch self {
        case .label:
            return Self.isLabel(bytes[...], allowsUpper: false)
        case .subdomain:
            return Self.isSubdomain(bytes[...])
        case .emptyOrSubdomain:
            return bytes.isEmpty || Self.isSubdomain(bytes[...])
        case .wildcardSubdomain:
            let name = bytes.starts(with: [UInt8(ascii: "*"), UInt8(ascii: ".")]) ? bytes.dropFirst(2) : bytes[...]
            return Self.isSubdomain(name)
        case .kind:
            guard let first = bytes.first, Self.isLetter(first) else { return false }
            return Self.isLabel(bytes[...], allowsUpper: true)
        }
    }

    private static func isSubdomain(_ bytes: ArraySlice<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            .allSatisfy { isLabel($0, allowsUpper: false) }
    }

    private static func isLabel(_ bytes: ArraySlice<UInt8>, allowsUpper: Bool) -> Bool {
        guard let first = bytes.first, let last = bytes.last else { return false }
        func alphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || (allowsUpper && (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte))
        }
        return alphanumeric(first) && alphanumeric(last) && bytes.allSatisfy { alphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
