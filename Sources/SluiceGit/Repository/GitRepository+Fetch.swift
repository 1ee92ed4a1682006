import CLibGit2
import Foundation

/// What one fetch moved over the wire.
public struct FetchStatistics: Sendable, Equatable {
    /// Objects the remote sent in its pack (0 when already up to date).
    public var receivedObjects: Int
    /// Objects in that pack, including those resolved from local bases.
    public var totalObjects: Int
    /// Bytes of pack data received.
    public var receivedBytes: Int
    /// Objects that were completed from objects already in the cache (thin packs).
    public var localObjects: Int

    public init(receivedObjects: Int, totalObjects: Int, receivedBytes: Int, localObjects: Int) {
        self.receivedObjects = receivedObjects
        self.totalObjects = totalObjects
        self.receivedBytes = receivedBytes
        self.localObjects = localObjects
    }
}

/// The refs Sluice keeps in its cache: every branch of the remote under `refs/remotes/origin/`,
/// every tag under `refs/tags/`, and the remote's default branch as `refs/remotes/origin/HEAD`.
enum CacheRefs {
    static let branchPrefix = "refs/remotes/origin/"
    static let remoteHead = "refs/remotes/origin/HEAD"
    static let tagPrefix = "refs/tags/"
    static let fetchRefspecs = ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"]
}

/// State shared with libgit2's callbacks for one fetch. Passed to C unretained; the fetch keeps
/// it alive with `withExtendedLifetime` until libgit2 returns.
private final class FetchCallbackContext {
    let remote: GitRemote
    let knownHosts: KnownHosts?
    /// Credential kinds already offered: libgit2 asks again after a refusal, and offering the
    /// same kind twice would loop, so a second request for a kind means it was refused.
    var offeredCredentials: Set<UInt32> = []
    /// Why Sluice itself refused (a host key, a second credential request); libgit2's own
    /// message is less precise, so this one wins.
    var refusal: GitError?

    init(remote: GitRemote, knownHosts: KnownHosts?) {
        self.remote = remote
        self.knownHosts = knownHosts
    }

    static func from(_ payload: UnsafeMutableRawPointer?) -> FetchCallbackContext {
        Unmanaged<FetchCallbackContext>.fromOpaque(payload!).takeUnretainedValue()
    }
}

/// Serialises changes to libgit2's process-wide TLS trust store.
private let certificateLocationLock = NSLock()

extension GitRepository {
    /// Fetches every branch and tag of `remote` into this repository. Refs move only after the
    /// whole pack is received and indexed, so a failed fetch leaves the previous state readable.
    func fetch(from remote: GitRemote) throws(GitError) -> FetchStatistics {
        let url = remote.url
        var knownHosts: KnownHosts?
        if case .ssh(let key) = remote.auth { knownHosts = try KnownHosts(key.knownHosts) }
        if let caFile = remote.caFile {
            certificateLocationLock.lock()
            defer { certificateLocationLock.unlock() }
            try check("git_libgit2_opts(SET_SSL_CERT_LOCATIONS)", url: url, reason: .invalidInput) {
                sluice_git_set_ssl_cert_file(caFile)
            }
        }
        let context = FetchCallbackContext(remote: remote, knownHosts: knownHosts)

        // An anonymous remote, without `url.<base>.insteadOf` rewriting: the URL in sluice.yaml is
        // the one fetched (as Flux and Argo CD do), and libgit2 1.5's insteadOf lookup leaks its
        // PCRE2 match data: 470 MiB over an hour of a one-second poll.
        var createOptions = git_remote_create_options()
        git_remote_create_options_init(&createOptions, UInt32(GIT_REMOTE_CREATE_OPTIONS_VERSION))
        createOptions.repository = handle
        createOptions.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF.rawValue | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC.rawValue
        var gitRemote: OpaquePointer?
        try check("git_remote_create_with_opts", url: url, reason: .invalidInput) {
            git_remote_create_with_opts(&gitRemote, url, &createOptions)
        }
        defer { git_remote_free(gitRemote) }

        var options = git_fetch_options()
        git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL
        options.prune = GIT_FETCH_PRUNE
        options.update_fetchhead = 0
        Self.installCallbacks(&options.callbacks, context: context)

        var headers: [String] = []
        if case .bearer(let token) = remote.auth { headers.append("Authorization: Bearer \(token)") }

        return try withExtendedLifetime(context) { () throws(GitError) -> FetchStatistics in
            return try withStringArray(headers) { headerArray throws(GitError) in
                options.custom_headers = headerArray
                return try withStringArray(CacheRefs.fetchRefspecs) { refspecs throws(GitError) in
                    var refspecs = refspecs
                    try connectedCall(context, "git_remote_connect", url) {
                        git_remote_connect(
                            gitRemote, GIT_DIRECTION_FETCH, &options.callbacks, &options.proxy_opts,
                            &options.custom_headers)
                    }
                    defer { git_remote_disconnect(gitRemote) }
                    let defaultBranch = Self.defaultBranch(of: gitRemote)
                    try connectedCall(context, "git_remote_download", url) {
                        git_remote_download(gitRemote, &refspecs, &options)
                    }
                    try check("git_remote_update_tips", url: url) {
                        git_remote_update_tips(
                            gitRemote, &options.callbacks, 0, GIT_REMOTE_DOWNLOAD_TAGS_ALL,
                            "sluice: fetch")
                    }
                    try check("git_remote_prune", url: url) {
                        git_remote_prune(gitRemote, &options.callbacks)
                    }
                    try updateRemoteHead(defaultBranch: defaultBranch, url: url)
                    let stats = git_remote_stats(gitRemote)!.pointee
                    return FetchStatistics(
                        receivedObjects: Int(stats.received_objects),
                        totalObjects: Int(stats.total_objects),
                        receivedBytes: Int(stats.received_bytes),
                        localObjects: Int(stats.local_objects))
                }
            }
        }
    }

    /// Runs a call that talks to the remote; a refusal recorded by a callback explains the
    /// failure better than libgit2's generic message.
    private func connectedCall(
        _ context: FetchCallbackContext, _ function: String, _ url: String, _ call: () -> Int32
    ) throws(GitError) {
        let code = call()
        guard code < 0 else { return }
        let error = GitError.fromLastError(function, code: code, url: url)
        if var refusal = context.refusal {
            refusal.function = function
            refusal.code = code
            throw refusal
        }
        throw error
    }

    private static func defaultBranch(of remote: OpaquePointer?) -> String? {
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        guard git_remote_default_branch(&buffer, remote) == 0, let pointer = buffer.ptr else {
            return nil
        }
        return String(cString: pointer)
    }

    /// Points `refs/remotes/origin/HEAD` at the remote's default branch, as `git clone` does.
    private func updateRemoteHead(defaultBranch: String?, url: String) throws(GitError) {
        guard let defaultBranch, defaultBranch.hasPrefix("refs/heads/") else { return }
        let target = CacheRefs.branchPrefix + defaultBranch.dropFirst("refs/heads/".count)
        var reference: OpaquePointer?
        try check("git_reference_symbolic_create", url: url) {
            git_reference_symbolic_create(
                &reference, handle, CacheRefs.remoteHead, target, 1, "sluice: remote HEAD")
        }
        git_reference_free(reference)
    }

    private static func installCallbacks(
        _ callbacks: inout git_remote_callbacks, context: FetchCallbackContext
    ) {
        callbacks.payload = Unmanaged.passUnretained(context).toOpaque()
        callbacks.credentials = { out, _, usernameFromURL, allowedTypes, payload in
            let context = FetchCallbackContext.from(payload)
            return context.acquireCredential(
                out, usernameFromURL: usernameFromURL.map { String(cString: $0) },
                allowed: allowedTypes)
        }
        callbacks.certificate_check = { cert, valid, host, payload in
            let context = FetchCallbackContext.from(payload)
            return context.checkCertificate(
                cert, valid: valid != 0, host: host.map { String(cString: $0) } ?? "")
        }
    }
}

extension FetchCallbackContext {
    func acquireCredential(
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>?,
        usernameFromURL: String?, allowed: UInt32
    ) -> Int32 {
        let url = remote.displayURL
        func offer(_ kind: git_credential_t, _ make: () -> Int32) -> Int32 {
            guard offeredCredentials.insert(kind.rawValue).inserted else {
                refusal = GitError(
                    .authenticationFailed,
                    "authentication refused: the remote rejected the credentials", url: url)
                return GIT_EAUTH.rawValue
            }
            return make()
        }
        switch remote.auth {
        case .basic(let username, let password)
        where allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0:
            return offer(GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
                git_credential_userpass_plaintext_new(out, username, password)
            }
        case .ssh(let key):
            if allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0 {
                return offer(GIT_CREDENTIAL_USERNAME) {
                    git_credential_username_new(out, usernameFromURL ?? key.username)
                }
            }
            if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 {
                return offer(GIT_CREDENTIAL_SSH_KEY) {
                    git_credential_ssh_key_new(
                        out, usernameFromURL ?? key.username, key.publicKeyPath,
                        key.privateKeyPath, key.passphrase ?? "")
                }
            }
        case .none, .basic, .bearer:
            break
        }
        refusal = GitError(
            .authenticationFailed,
            "authentication required: the remote asked for credentials (\(describe(allowed))) "
                + "and none that fit are configured", url: url)
        return GIT_EAUTH.rawValue
    }

    func checkCertificate(_ cert: UnsafeMutablePointer<git_cert>?, valid: Bool, host: String) -> Int32 {
        guard let cert else { return GIT_ECERTIFICATE.rawValue }
        let url = remote.displayURL
        switch cert.pointee.cert_type {
        case GIT_CERT_HOSTKEY_LIBSSH2:
            guard let knownHosts else {
                refusal = GitError(
                    .unknownHostKey,
                    "refusing SSH host \(host): no known_hosts configured for this remote", url: url)
                return GIT_ECERTIFICATE.rawValue
            }
            let hostKey = UnsafeRawPointer(cert).assumingMemoryBound(to: git_cert_hostkey.self).pointee
            guard hostKey.type.rawValue & GIT_CERT_SSH_RAW.rawValue != 0, let raw = hostKey.hostkey
            else {
                refusal = GitError(
                    .unknownHostKey, "SSH host \(host) did not present a raw host key to check",
                    url: url)
                return GIT_ECERTIFICATE.rawValue
            }
            let key = Data(bytes: raw, count: hostKey.hostkey_len)
            let port = remote.hostAndPort?.port
            let name = KnownHosts.entryName(host: host, port: port)
            switch knownHosts.verdict(host: host, port: port, key: key) {
            case .trusted:
                return 0
            case .revoked:
                refusal = GitError(
                    .unknownHostKey, "the host key of \(name) is marked @revoked in known_hosts",
                    url: url)
            case .mismatch(let types):
                refusal = GitError(
                    .unknownHostKey,
                    "host key mismatch for \(name): the key presented is not the one in known_hosts "
                        + "(known: \(types.joined(separator: ", "))); possible man-in-the-middle",
                    url: url)
            case .unknownHost:
                refusal = GitError(
                    .unknownHostKey, "unknown SSH host key: \(name) is not in known_hosts",
                    url: url)
            }
            return GIT_ECERTIFICATE.rawValue
        case GIT_CERT_X509:
            if valid || remote.insecureSkipTLSVerify { return 0 }
            refusal = GitError(
                .certificateRejected,
                "TLS certificate of \(host) is not trusted (set a CA file, or "
                    + "insecure-skip-tls-verify to accept any)", url: url)
            return GIT_ECERTIFICATE.rawValue
        default:
            return valid ? 0 : GIT_ECERTIFICATE.rawValue
        }
    }

    private func describe(_ allowed: UInt32) -> String {
        var kinds: [String] = []
        if allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 { kinds.append("username/password") }
        if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 { kinds.append("SSH key") }
        if allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0 { kinds.append("username") }
        if allowed & GIT_CREDENTIAL_DEFAULT.rawValue != 0 { kinds.append("negotiate") }
        return kinds.isEmpty ? "unknown kind" : kinds.joined(separator: " or ")
    }
}

/// Lends `strings` to C as a `git_strarray` for the duration of `body`.
func withStringArray<Result>(
    _ strings: [String], _ body: (git_strarray) throws(GitError) -> Result
) throws(GitError) -> Result {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    return try pointers.withUnsafeMutableBufferPointer { buffer throws(GitError) -> Result in
        try body(git_strarray(strings: buffer.baseAddress, count: strings.count))
    }
}
