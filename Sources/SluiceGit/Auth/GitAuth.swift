/// How Sluice proves who it is to a remote, and how it checks who the remote is.
public enum GitAuth: Sendable, Equatable {
    /// No credentials (public HTTP, git://, local paths).
    case none
    /// HTTP basic authentication.
    case basic(username: String, password: String)
    /// An HTTP bearer token (`Authorization: Bearer ...`), as GitHub and GitLab tokens are sent.
    case bearer(token: String)
    /// An SSH key pair on disk. `knownHosts` is the text of a known_hosts file: the remote's host
    /// key must be listed there, or the connection is refused.
    case ssh(SSHKey)

    /// An SSH identity and the host keys it trusts.
    public struct SSHKey: Sendable, Equatable {
        public var username: String
        public var privateKeyPath: String
        public var publicKeyPath: String?
        public var passphrase: String?
        public var knownHosts: String

        public init(
            username: String = "git", privateKeyPath: String, publicKeyPath: String? = nil,
            passphrase: String? = nil, knownHosts: String
        ) {
            self.username = username
            self.privateKeyPath = privateKeyPath
            self.publicKeyPath = publicKeyPath
            self.passphrase = passphrase
            self.knownHosts = knownHosts
        }
    }
}

/// Where a repository lives and how to reach it.
public struct GitRemote: Sendable, Equatable {
    /// A local path, `file://`, `git://`, `http(s)://`, `ssh://` or scp-like `user@host:path` URL.
    public var url: String
    public var auth: GitAuth
    /// A PEM file of CA certificates to trust for HTTPS (otherwise the system's).
    public var caFile: String?
    /// Accept any TLS certificate. Off unless explicitly asked for.
    public var insecureSkipTLSVerify: Bool

    public init(
        url: String, auth: GitAuth = .none, caFile: String? = nil,
        insecureSkipTLSVerify: Bool = false
    ) {
        self.url = url
        self.auth = auth
        self.caFile = caFile
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
    }

    /// The URL with any embedded password removed, for messages and logs.
    public var displayURL: String { redactingCredentials(url) }

    /// Host and port of a network URL, for known_hosts look-ups. Nil for local paths.
    var hostAndPort: (host: String, port: Int?)? {
        if let schemeEnd = url.range(of: "://") {
            let scheme = url[..<schemeEnd.lowerBound].lowercased()
            if scheme == "file" { return nil }
            var authority = url[schemeEnd.upperBound...]
            if let slash = authority.firstIndex(of: "/") { authority = authority[..<slash] }
            if let at = authority.lastIndex(of: "@") {
                authority = authority[authority.index(after: at)...]
            }
            if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
                let host = String(authority[authority.index(after: authority.startIndex)..<close])
                let rest = authority[authority.index(after: close)...]
                let port = rest.hasPrefix(":") ? Int(rest.dropFirst()) : nil
                return (host, port)
            }
            if let colon = authority.lastIndex(of: ":") {
                return (
                    String(authority[..<colon]), Int(authority[authority.index(after: colon)...])
                )
            }
            return (String(authority), nil)
        }
        // scp-like: [user@]host:path, where host has no slash before the colon.
        guard let colon = url.firstIndex(of: ":"), !url[..<colon].contains("/") else { return nil }
        var host = url[..<colon]
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        return (String(host), nil)
    }
}
