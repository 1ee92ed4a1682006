/// A push announced by a Git host's webhook: which repository, ref and commit changed.
public struct WebhookPush: Sendable, Hashable {
    public enum Provider: String, Sendable, Hashable, CaseIterable {
        case github
        case gitlab
        /// Any sender signing its body with the shared secret (`X-Sluice-Signature`).
        case generic
    }

    public var provider: Provider
    /// Every URL the payload gives for the repository (HTTPS, SSH, git://), to match against
    /// the configured source whatever form it uses; empty when the sender names none.
    public var repositoryURLs: [String]
    /// The full ref that moved (`refs/heads/main`, `refs/tags/v1.2.0`), when given.
    public var ref: String?
    /// The commit the ref now points at, when given; nil or all zeros for a deleted ref.
    public var revision: String?

    public init(provider: Provider, repositoryURLs: [String] = [], ref: String? = nil, revision: String? = nil) {
        self.provider = provider
        self.repositoryURLs = repositoryURLs
        self.ref = ref
        self.revision = revision
    }

    /// Whether the push deleted its ref (Git hosts send a revision of forty zeros).
    public var deletesRef: Bool { revision.map { !$0.isEmpty && $0.allSatisfy { $0 == "0" } } ?? false }

    /// Whether this push concerns `url`: same host and path, ignoring scheme, user, a trailing
    /// `.git` and `/`, and case of the host (`git@github.com:o/r.git` is `https://github.com/o/r`).
    /// A push that names no repository concerns every source.
    public func concerns(repository url: String) -> Bool {
        guard !repositoryURLs.isEmpty else { return true }
        let wanted = Self.canonical(url)
        return repositoryURLs.contains { Self.canonical($0) == wanted }
    }

    static func canonical(_ url: String) -> String {
        var text = Substring(url)
        if let scheme = text.range(of: "://") { text = text[scheme.upperBound...] }
        if let at = text.firstIndex(of: "@"), !text[..<at].contains("/") { text = text[text.index(after: at)...] }
        var host = text.prefix { $0 != "/" && $0 != ":" }
        var path = text.dropFirst(host.count)
        // scp-like `host:path` and `host:port/path`: drop a port, keep the path.
        if path.hasPrefix(":") {
            path = path.dropFirst()
            let port = path.prefix { $0.isNumber }
            if !port.isEmpty, path.dropFirst(port.count).hasPrefix("/") { path = path.dropFirst(port.count) }
        }
        host = Substring(host.lowercased())
        var trimmed = String(path.drop { $0 == "/" })
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        if trimmed.hasSuffix(".git") { trimmed.removeLast(4) }
        return "\(host)/\(trimmed)"
    }
}
