import Crypto
import Foundation

/// The host keys of an OpenSSH known_hosts file, and the check libgit2's SSH transport asks for.
///
/// Supports plain and hashed (`|1|salt|hash`) host patterns, `[host]:port`, wildcards `*` and `?`,
/// negated patterns `!host`, and the `@revoked` marker. `@cert-authority` lines are skipped:
/// host certificates are not checked, so such a host is refused unless its key is listed too.
struct KnownHosts: Sendable {
    struct Line: Sendable {
        var revoked: Bool
        var patterns: [String]
        var keyType: String
        var key: Data
    }

    enum Verdict: Equatable {
        case trusted
        case revoked
        case mismatch(knownTypes: [String])
        case unknownHost
    }

    var lines: [Line]

    /// Parses known_hosts text. A malformed line is an error naming its line number.
    init(_ text: String) throws(GitError) {
        var lines: [Line] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            var fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            var revoked = false
            if let marker = fields.first, marker.hasPrefix("@") {
                fields.removeFirst()
                if marker == "@cert-authority" { continue }
                guard marker == "@revoked" else {
                    throw GitError(
                        .invalidInput, "known_hosts line \(index + 1): unknown marker \(marker)")
                }
                revoked = true
            }
            guard fields.count >= 3, let key = Data(base64Encoded: fields[2]) else {
                throw GitError(
                    .invalidInput,
                    "known_hosts line \(index + 1): expected 'hosts key-type base64-key'")
            }
            lines.append(
                Line(
                    revoked: revoked, patterns: fields[0].split(separator: ",").map(String.init),
                    keyType: fields[1], key: key))
        }
        self.lines = lines
    }

    /// The name a host is filed under: `host` on port 22, `[host]:port` otherwise.
    static func entryName(host: String, port: Int?) -> String {
        guard let port, port != 22 else { return host }
        return "[\(host)]:\(port)"
    }

    /// Decides whether `key` (the raw SSH wire-format public key the server presented) may be
    /// trusted for `host` on `port`.
    func verdict(host: String, port: Int?, key: Data) -> Verdict {
        let name = Self.entryName(host: host, port: port)
        var knownTypes: [String] = []
        var trusted = false
        for line in lines where Self.matches(name, patterns: line.patterns) {
            if line.key == key {
                if line.revoked { return .revoked }
                trusted = true
            } else if !line.revoked {
                knownTypes.append(line.keyType)
            }
        }
        if trusted { return .trusted }
        return knownTypes.isEmpty ? .unknownHost : .mismatch(knownTypes: knownTypes)
    }

    static func matches(_ name: String, patterns: [String]) -> Bool {
        var matched = false
        for pattern in patterns {
            if pattern.hasPrefix("!") {
                if hostPatternMatches(name, String(pattern.dropFirst())) { return false }
            } else if hostPatternMatches(name, pattern) {
                matched = true
            }
        }
        return matched
    }

    private static func hostPatternMatches(_ name: String, _ pattern: String) -> Bool {
        if pattern.hasPrefix("|1|") {
            let parts = pattern.split(separator: "|", omittingEmptySubsequences: true)
            guard parts.count == 3, let salt = Data(base64Encoded: String(parts[1])),
                let expected = Data(base64Encoded: String(parts[2]))
            else { return false }
            let mac = HMAC<Insecure.SHA1>.authenticationCode(
                for: Data(name.utf8), using: SymmetricKey(data: salt))
            return Data(mac) == expected
        }
        return wildcardMatches(Array(name.lowercased().utf8), Array(pattern.lowercased().utf8))
    }

    /// `*` matches any run, `?` one character, as OpenSSH's match_pattern does.
    private static func wildcardMatches(_ text: [UInt8], _ pattern: [UInt8]) -> Bool {
        var t = 0
        var p = 0
        var star: Int?
        var mark = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] {
                t += 1
                p += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p
                mark = t
                p += 1
            } else if let star {
                p = star + 1
                mark += 1
                t = mark
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
