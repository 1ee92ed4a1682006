import CLibGit2

/// A failure in the Git source, naming what was being done (URL, ref), the cause, and —
/// when libgit2 reported it — the C function, error code and error class.
public struct GitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in terms an operator can act on.
    public enum Reason: Sendable, Equatable {
        /// The remote could not be reached (DNS, refused connection, timeout).
        case unreachable
        /// The remote refused the credentials, or asked for some and none were given.
        case authenticationFailed
        /// The SSH host key was not in known_hosts, or did not match it.
        case unknownHostKey
        /// A TLS certificate was refused.
        case certificateRejected
        /// The ref (branch, tag, commit) does not exist in the repository.
        case refNotFound
        /// No tag satisfies the semver range.
        case noVersionSatisfies
        /// The sub-path does not exist in the commit, or is not a directory.
        case pathNotFound
        /// Input the caller gave is malformed (a URL, a range, a known_hosts line).
        case invalidInput
        /// The local cache could not be read or written.
        case cache
        /// Any other libgit2 failure.
        case libgit2
    }

    public var reason: Reason
    /// The human message: what failed and why.
    public var message: String
    /// The repository URL involved, with any password removed.
    public var url: String?
    /// The ref being resolved, if any.
    public var ref: String?
    /// The libgit2 function that failed, its return code and error class (`git_error_t`).
    public var function: String?
    public var code: Int32?
    public var errorClass: Int32?

    public init(
        _ reason: Reason, _ message: String, url: String? = nil, ref: String? = nil,
        function: String? = nil, code: Int32? = nil, errorClass: Int32? = nil
    ) {
        self.reason = reason
        self.message = message
        self.url = url.map(redactingCredentials)
        self.ref = ref
        self.function = function
        self.code = code
        self.errorClass = errorClass
    }

    public var description: String {
        var parts: [String] = []
        if let url { parts.append(url) }
        if let ref { parts.append("ref \(ref)") }
        let place = parts.isEmpty ? "" : parts.joined(separator: " ") + ": "
        var text = place + message
        if let function, let code {
            text += " (\(function) returned \(code)"
            if let errorClass { text += ", class \(errorClass)" }
            text += ")"
        }
        return text
    }

    /// Reads libgit2's thread-local last error right after `function` returned `code`.
    /// Must be called with no suspension point between the C call and this one.
    static func fromLastError(
        _ function: String, code: Int32, url: String? = nil, ref: String? = nil,
        reason: Reason? = nil
    ) -> GitError {
        var message = "libgit2 error"
        var errorClass: Int32?
        if let last = git_error_last() {
            if let text = last.pointee.message { message = String(cString: text) }
            errorClass = last.pointee.klass
        }
        let inferred = reason ?? classify(code: code, errorClass: errorClass, message: message)
        return GitError(
            inferred, message, url: url, ref: ref, function: function, code: code,
            errorClass: errorClass)
    }

    private static func classify(code: Int32, errorClass: Int32?, message: String) -> Reason {
        if code == GIT_EAUTH.rawValue { return .authenticationFailed }
        if code == GIT_ECERTIFICATE.rawValue { return .certificateRejected }
        if code == GIT_ENOTFOUND.rawValue { return .refNotFound }
        let lowered = message.lowercased()
        if lowered.contains("authentication") || lowered.contains("401")
            || lowered.contains("403") || lowered.contains("credentials")
        {
            return .authenticationFailed
        }
        switch errorClass.map({ git_error_t(UInt32($0)) }) {
        case GIT_ERROR_NET, GIT_ERROR_OS, GIT_ERROR_SSH, GIT_ERROR_HTTP:
            if lowered.contains("host key") || lowered.contains("hostkey") { return .unknownHostKey }
            return .unreachable
        case GIT_ERROR_SSL: return .certificateRejected
        default: return .libgit2
        }
    }
}

/// Removes a password or token embedded in a URL (`https://user:secret@host/` → `https://user@host/`)
/// so that errors and logs never carry it.
func redactingCredentials(_ url: String) -> String {
    guard let schemeEnd = url.range(of: "://") else { return url }
    let rest = url[schemeEnd.upperBound...]
    let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
    let authority = rest[..<authorityEnd]
    guard let at = authority.lastIndex(of: "@") else { return url }
    let userInfo = authority[..<at]
    guard let colon = userInfo.firstIndex(of: ":") else { return url }
    return String(url[..<schemeEnd.upperBound]) + userInfo[..<colon] + ":***"
        + authority[at...] + rest[authorityEnd...]
}

/// Calls a libgit2 function and turns a negative result into a `GitError`.
@discardableResult
func check(
    _ function: String, url: String? = nil, ref: String? = nil, reason: GitError.Reason? = nil,
    _ call: () -> Int32
) throws(GitError) -> Int32 {
    let code = call()
    if code < 0 {
        throw GitError.fromLastError(function, code: code, url: url, ref: ref, reason: reason)
    }
    return code
}
