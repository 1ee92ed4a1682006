import Foundation
import Testing

@testable import SluiceModel

@Suite("Patterns: the DNS-name scans agree with the regular expressions they stand for")
struct PatternCacheTests {
    static let patterns = [
        #"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"#,
        #"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"#,
        #"^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"#,
        #"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"#,
        #"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$"#,
    ]

    /// Names built from the characters that matter to these grammars, short enough to cover
    /// every arrangement of them, plus hand-picked ones.
    static func candidates() -> [String] {
        let alphabet: [Character] = ["a", "Z", "0", "-", ".", "*", "_", "é"]
        var names: [String] = ["", "example.com", "*.example.com", "*.", "*", "a..b", "-a", "a-", "Service", "x-canary", "a.-b", "1.2.3.4"]
        var level = [""]
        for _ in 1...4 {
            level = level.flatMap { prefix in alphabet.map { prefix + String($0) } }
            names += level
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let length = Int.random(in: 1...24, using: &generator)
            names.append(String((0..<length).map { _ in alphabet.randomElement(using: &generator)! }))
        }
        return names
    }

    @Test("every recognised pattern gives the regex's verdict on every candidate", arguments: patterns)
    func scanEqualsRegex(pattern: String) throws {
        let grammar = try #require(DNSNamePattern(pattern))
        let regex = try NSRegularExpression(pattern: pattern)
        for name in Self.candidates() {
            let expected = regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
            #expect(grammar.matches(name) == expected, "\(pattern) on \"\(name)\"")
        }
    }

    @Test("other patterns go to the regex engine, and repeated values get the same verdict")
    func otherPatterns() {
        let header = #"^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$"#
        #expect(DNSNamePattern(header) == nil)
        for _ in 0..<3 {
            #expect(SchemaValidator.matches("x-canary", pattern: header))
            #expect(!SchemaValidator.matches("bad header", pattern: header))
        }
        #expect(!SchemaValidator.matches("anything", pattern: "(unclosed"))
    }

    @Test("a trailing newline is refused, as Go's RE2 refuses it")
    func trailingNewline() {
        #expect(!SchemaValidator.matches("example.com\n", pattern: Self.patterns[1]))
    }
}
