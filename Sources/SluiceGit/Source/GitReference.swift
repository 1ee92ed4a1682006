/// Which commit of a repository to use, as Flux's `GitRepository.spec.ref` names it.
public enum GitReference: Sendable, Equatable, CustomStringConvertible {
    /// The remote's default branch (its HEAD).
    case defaultBranch
    case branch(String)
    case tag(String)
    /// A full (40 hex digits) or abbreviated (at least 4) commit id.
    case commit(String)
    /// The highest tag that satisfies the range (`>=1.2.0 <2.0.0`).
    case semver(VersionRange)
    /// A name that may be a branch, a tag or an abbreviated commit id, tried in that order
    /// (what `--ref` accepts when it carries no prefix).
    case name(String)

    /// Parses `--ref`: `branch:NAME`, `tag:NAME`, `commit:ID`, `semver:RANGE`, `refs/heads/NAME`,
    /// `refs/tags/NAME`, `HEAD`; a 40-digit id is a commit; text with range operators is a
    /// semver range; anything else is a name.
    public init(parsing text: String) throws(GitError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        func value(after prefix: String) -> String { String(trimmed.dropFirst(prefix.count)) }
        if trimmed.isEmpty || trimmed == "HEAD" {
            self = .defaultBranch
        } else if trimmed.hasPrefix("branch:") {
            self = .branch(value(after: "branch:"))
        } else if trimmed.hasPrefix("refs/heads/") {
            self = .branch(value(after: "refs/heads/"))
        } else if trimmed.hasPrefix("tag:") {
            self = .tag(value(after: "tag:"))
        } else if trimmed.hasPrefix("refs/tags/") {
            self = .tag(value(after: "refs/tags/"))
        } else if trimmed.hasPrefix("commit:") {
            self = .commit(value(after: "commit:"))
        } else if trimmed.hasPrefix("semver:") {
            self = .semver(try VersionRange(value(after: "semver:")))
        } else if trimmed.count == 40, trimmed.allSatisfy(\.isHexDigit) {
            self = .commit(trimmed.lowercased())
        } else if let first = trimmed.first, "<>=~^!*".contains(first) || trimmed.contains(" ") {
            self = .semver(try VersionRange(trimmed))
        } else {
            self = .name(trimmed)
        }
    }

    public var description: String {
        switch self {
        case .defaultBranch: "HEAD"
        case .branch(let name): "branch \(name)"
        case .tag(let name): "tag \(name)"
        case .commit(let id): "commit \(id)"
        case .semver(let range): "semver \(range)"
        case .name(let name): name
        }
    }
}

/// A reference resolved to one commit.
public struct ResolvedRevision: Sendable, Equatable {
    /// What was asked for.
    public var reference: GitReference
    /// The ref that matched (`refs/heads/main`, `refs/tags/v1.4.0`), nil for a commit id.
    public var refName: String?
    /// For a semver range: the version chosen.
    public var version: SemanticVersion?
    public var commit: CommitInfo

    /// `main@sha1:0123456789ab`, the form Flux prints a revision in.
    public var displayName: String {
        let name = refName.map { $0.replacingOccurrences(of: "refs/heads/", with: "")
            .replacingOccurrences(of: "refs/tags/", with: "") }
        return (name.map { $0 + "@" } ?? "") + "sha1:" + commit.id
    }
}
