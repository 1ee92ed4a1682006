/// A semver range over tags, in the syntax Flux's `ref.semver` accepts (Masterminds/semver):
/// comparisons `= != > >= < <=`, tilde `~1.2`, caret `^1.2.3`, wildcards `1.2.x` and `*`,
/// hyphen ranges `1.2 - 1.4.5`, AND by space or comma, OR by `||`.
///
/// Pre-release versions satisfy a range only when one of its comparisons names a pre-release.
public struct VersionRange: Sendable, Equatable, CustomStringConvertible {
    /// One bound: a version must compare with `version` as `operator` says.
    struct Bound: Sendable, Equatable {
        enum Operator: Sendable, Equatable { case equal, notEqual, greater, greaterOrEqual, less, lessOrEqual }
        var op: Operator
        var version: SemanticVersion

        func admits(_ candidate: SemanticVersion) -> Bool {
            switch op {
            case .equal: candidate == version
            case .notEqual: candidate != version
            case .greater: candidate > version
            case .greaterOrEqual: candidate >= version
            case .less: candidate < version
            case .lessOrEqual: candidate <= version
            }
        }
    }

    /// Alternatives (OR) of conjunctions (AND) of bounds.
    struct Conjunction: Sendable, Equatable {
        var bounds: [Bound]
        var allowsPrerelease: Bool
    }

    let alternatives: [Conjunction]
    /// The text the range was parsed from.
    public let text: String

    /// Parses a range; throws `GitError.invalidInput` naming the part it could not read.
    public init(_ text: String) throws(GitError) {
        self.text = text
        var alternatives: [Conjunction] = []
        for part in text.components(separatedBy: "||") {
            alternatives.append(try Self.parseConjunction(part, whole: text))
        }
        self.alternatives = alternatives
    }

    public var description: String { text }

    /// Whether `version` lies in the range.
    public func contains(_ version: SemanticVersion) -> Bool {
        alternatives.contains { conjunction in
            (!version.isPrerelease || conjunction.allowsPrerelease)
                && conjunction.bounds.allSatisfy { $0.admits(version) }
        }
    }

    // MARK: - Parsing

    private static func parseConjunction(_ text: String, whole: String) throws(GitError) -> Conjunction {
        var tokens = text.replacingOccurrences(of: ",", with: " ")
            .split(separator: " ").map(String.init)
        // Glue an operator written apart from its version (`>= 1.2`) back together.
        var glued: [String] = []
        for token in tokens {
            if let last = glued.last, ["=", "!=", ">", ">=", "=>", "<", "<=", "=<", "~", "~>", "^"].contains(last) {
                glued[glued.count - 1] = last + token
            } else {
                glued.append(token)
            }
        }
        tokens = glued
        guard !tokens.isEmpty else {
            throw GitError(.invalidInput, "empty semver range in '\(whole)'")
        }
        var bounds: [Bound] = []
        var allowsPrerelease = false
        var index = 0
        while index < tokens.count {
            if index + 2 < tokens.count, tokens[index + 1] == "-" {
                let low = try PartialVersion(tokens[index], whole: whole)
                let high = try PartialVersion(tokens[index + 2], whole: whole)
                bounds.append(Bound(op: .greaterOrEqual, version: low.floor))
                bounds.append(high.upperBound(inclusive: true))
                allowsPrerelease = allowsPrerelease || low.hasPrerelease || high.hasPrerelease
                index += 3
                continue
            }
            let (op, versionText) = splitOperator(tokens[index])
            let partial = try PartialVersion(versionText, whole: whole)
            allowsPrerelease = allowsPrerelease || partial.hasPrerelease
            bounds += try partial.bounds(for: op, whole: whole)
            index += 1
        }
        return Conjunction(bounds: bounds, allowsPrerelease: allowsPrerelease)
    }

    private static func splitOperator(_ token: String) -> (String, String) {
        for op in ["!=", ">=", "=>", "<=", "=<", "~>", ">", "<", "=", "~", "^"] where token.hasPrefix(op) {
            return (op, String(token.dropFirst(op.count)))
        }
        return ("", token)
    }
}

/// A version that may leave parts out or wildcard them: `1`, `1.2`, `1.2.x`, `*`.
private struct PartialVersion {
    var major: Int?
    var minor: Int?
    var patch: Int?
    var prerelease: [String]

    var hasPrerelease: Bool { !prerelease.isEmpty }

    init(_ text: String, whole: String) throws(GitError) {
        var rest = Substring(text)
        if rest.hasPrefix("v") || rest.hasPrefix("V") { rest = rest.dropFirst() }
        if let plus = rest.firstIndex(of: "+") { rest = rest[..<plus] }
        prerelease = []
        if let dash = rest.firstIndex(of: "-") {
            prerelease = rest[rest.index(after: dash)...].split(separator: ".").map(String.init)
            rest = rest[..<dash]
        }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else {
            throw GitError(.invalidInput, "invalid version '\(text)' in semver range '\(whole)'")
        }
        var numbers: [Int?] = []
        var wildcardSeen = false
        for part in parts {
            if ["x", "X", "*"].contains(part) {
                wildcardSeen = true
                numbers.append(nil)
            } else if !wildcardSeen, !part.isEmpty, part.allSatisfy(\.isASCIIDigit), let value = Int(part) {
                numbers.append(value)
            } else {
                throw GitError(.invalidInput, "invalid version '\(text)' in semver range '\(whole)'")
            }
        }
        while numbers.count < 3 { numbers.append(nil) }
        (major, minor, patch) = (numbers[0], numbers[1], numbers[2])
    }

    /// The lowest version the partial names (`1.2` → 1.2.0).
    var floor: SemanticVersion {
        SemanticVersion(major: major ?? 0, minor: minor ?? 0, patch: patch ?? 0, prerelease: prerelease)
    }

    /// The first version past the partial's wildcard (`1.2` → 1.3.0-0); nil for `*`.
    var ceiling: SemanticVersion? {
        guard let major else { return nil }
        guard let minor else { return SemanticVersion(major: major + 1, minor: 0, patch: 0, prerelease: ["0"]) }
        guard patch != nil else { return SemanticVersion(major: major, minor: minor + 1, patch: 0, prerelease: ["0"]) }
        return nil
    }

    var isComplete: Bool { patch != nil }

    func upperBound(inclusive: Bool) -> VersionRange.Bound {
        if isComplete {
            return .init(op: inclusive ? .lessOrEqual : .less, version: floor)
        }
        if let ceiling { return .init(op: .less, version: ceiling) }
        return .init(op: .greaterOrEqual, version: SemanticVersion(major: 0, minor: 0, patch: 0))
    }

    func bounds(for op: String, whole: String) throws(GitError) -> [VersionRange.Bound] {
        let any = [VersionRange.Bound(op: .greaterOrEqual, version: SemanticVersion(major: 0, minor: 0, patch: 0, prerelease: ["0"]))]
        switch op {
        case "", "=":
            if isComplete { return [.init(op: .equal, version: floor)] }
            guard let ceiling else { return any }
            return [.init(op: .greaterOrEqual, version: floor), .init(op: .less, version: ceiling)]
        case "!=":
            if isComplete { return [.init(op: .notEqual, version: floor)] }
            throw GitError(.invalidInput, "'!=' needs a full version in semver range '\(whole)'")
        case ">":
            if isComplete { return [.init(op: .greater, version: floor)] }
            guard let ceiling else { return [.init(op: .less, version: floor)] }  // `>*` admits nothing
            return [.init(op: .greaterOrEqual, version: ceiling)]
        case ">=", "=>":
            return [.init(op: .greaterOrEqual, version: floor)]
        case "<":
            return [.init(op: .less, version: floor)]
        case "<=", "=<":
            return [upperBound(inclusive: true)]
        case "~", "~>":
            guard let major else { return any }
            let upper = minor == nil
                ? SemanticVersion(major: major + 1, minor: 0, patch: 0, prerelease: ["0"])
                : SemanticVersion(major: major, minor: minor! + 1, patch: 0, prerelease: ["0"])
            return [.init(op: .greaterOrEqual, version: floor), .init(op: .less, version: upper)]
        case "^":
            guard let major else { return any }
            let upper: SemanticVersion
            if major > 0 || minor == nil {
                upper = SemanticVersion(major: major + 1, minor: 0, patch: 0, prerelease: ["0"])
            } else if minor! > 0 || patch == nil {
                upper = SemanticVersion(major: 0, minor: minor! + 1, patch: 0, prerelease: ["0"])
            } else {
                upper = SemanticVersion(major: 0, minor: 0, patch: patch! + 1, prerelease: ["0"])
            }
            return [.init(op: .greaterOrEqual, version: floor), .init(op: .less, version: upper)]
        default:
            throw GitError(.invalidInput, "unknown operator '\(op)' in semver range '\(whole)'")
        }
    }
}
