import CLibGit2
import Foundation

extension GitRepository {
    /// Resolves `reference` among the refs of the last fetch of `url` (for messages).
    func resolve(_ reference: GitReference, url: String) throws(GitError) -> ResolvedRevision {
        let ref = reference.description
        switch reference {
        case .defaultBranch:
            guard let (name, id) = try peel(CacheRefs.remoteHead, url: url, ref: ref) else {
                throw GitError(.refNotFound, "the remote has no default branch (HEAD)", url: url, ref: ref)
            }
            return try revision(reference, refName: name, commitID: id, url: url)
        case .branch(let branch):
            guard let (_, id) = try peel(CacheRefs.branchPrefix + branch, url: url, ref: ref) else {
                throw GitError(.refNotFound, "branch '\(branch)' not found on the remote", url: url, ref: ref)
            }
            return try revision(reference, refName: "refs/heads/" + branch, commitID: id, url: url)
        case .tag(let tag):
            guard let (_, id) = try peel(CacheRefs.tagPrefix + tag, url: url, ref: ref) else {
                throw GitError(.refNotFound, "tag '\(tag)' not found on the remote", url: url, ref: ref)
            }
            return try revision(reference, refName: CacheRefs.tagPrefix + tag, commitID: id, url: url)
        case .commit(let prefix):
            let id = try lookupCommit(prefix: prefix, url: url, ref: ref)
            return try revision(reference, refName: nil, commitID: id, url: url)
        case .semver(let range):
            let candidates = try tagNames(url: url).compactMap { tag in
                SemanticVersion(tag).map { (tag, $0) }
            }
            guard let (tag, version) = candidates.filter({ range.contains($0.1) })
                .max(by: { $0.1 < $1.1 })
            else {
                let seen = candidates.map(\.1).sorted().suffix(5).map(\.description)
                throw GitError(
                    .noVersionSatisfies,
                    "no tag satisfies semver range '\(range)'"
                        + (seen.isEmpty ? " (the repository has no semver tags)"
                            : " (highest tags: \(seen.joined(separator: ", ")))"),
                    url: url, ref: ref)
            }
            guard let (_, id) = try peel(CacheRefs.tagPrefix + tag, url: url, ref: ref) else {
                throw GitError(.refNotFound, "tag '\(tag)' vanished while resolving", url: url, ref: ref)
            }
            var resolved = try revision(reference, refName: CacheRefs.tagPrefix + tag, commitID: id, url: url)
            resolved.version = version
            return resolved
        case .name(let name):
            if let (_, id) = try peel(CacheRefs.branchPrefix + name, url: url, ref: ref) {
                return try revision(reference, refName: "refs/heads/" + name, commitID: id, url: url)
            }
            if let (_, id) = try peel(CacheRefs.tagPrefix + name, url: url, ref: ref) {
                return try revision(reference, refName: CacheRefs.tagPrefix + name, commitID: id, url: url)
            }
            if name.count >= 4, name.allSatisfy(\.isHexDigit),
                let id = try? lookupCommit(prefix: name, url: url, ref: ref)
            {
                return try revision(reference, refName: nil, commitID: id, url: url)
            }
            throw GitError(
                .refNotFound, "no branch, tag or commit named '\(name)' on the remote", url: url, ref: ref)
        }
    }

    /// The names of every tag in the cache.
    func tagNames(url: String) throws(GitError) -> [String] {
        var array = git_strarray()
        try check("git_tag_list", url: url) { git_tag_list(&array, handle) }
        defer { git_strarray_dispose(&array) }
        return (0..<array.count).compactMap { array.strings[$0].map { String(cString: $0) } }
    }

    /// Follows `refName` (symbolic refs and annotated tags included) to a commit id.
    /// Returns nil when the ref does not exist; the first element is the direct ref's name.
    private func peel(_ refName: String, url: String, ref: String) throws(GitError) -> (String, git_oid)? {
        var reference: OpaquePointer?
        let code = git_reference_lookup(&reference, handle, refName)
        if code == GIT_ENOTFOUND.rawValue { return nil }
        if code < 0 { throw GitError.fromLastError("git_reference_lookup", code: code, url: url, ref: ref) }
        defer { git_reference_free(reference) }
        var resolved: OpaquePointer?
        try check("git_reference_resolve", url: url, ref: ref) { git_reference_resolve(&resolved, reference) }
        defer { git_reference_free(resolved) }
        let name = String(cString: git_reference_name(resolved))
            .replacingOccurrences(of: CacheRefs.branchPrefix, with: "refs/heads/")
        var commit: OpaquePointer?
        try check("git_reference_peel", url: url, ref: ref) {
            git_reference_peel(&commit, resolved, GIT_OBJECT_COMMIT)
        }
        defer { git_object_free(commit) }
        return (name, git_object_id(commit).pointee)
    }

    private func lookupCommit(prefix: String, url: String, ref: String) throws(GitError) -> git_oid {
        guard (4...40).contains(prefix.count), prefix.allSatisfy(\.isHexDigit) else {
            throw GitError(.invalidInput, "'\(prefix)' is not a commit id", url: url, ref: ref)
        }
        var oid = git_oid()
        try check("git_oid_fromstrn", url: url, ref: ref, reason: .invalidInput) {
            git_oid_fromstrn(&oid, prefix, prefix.utf8.count)
        }
        var object: OpaquePointer?
        let code = git_object_lookup_prefix(&object, handle, &oid, prefix.utf8.count, GIT_OBJECT_COMMIT)
        if code == GIT_ENOTFOUND.rawValue {
            throw GitError(.refNotFound, "commit \(prefix) not found in the fetched history", url: url, ref: ref)
        }
        if code == GIT_EAMBIGUOUS.rawValue {
            throw GitError(.invalidInput, "commit id \(prefix) is ambiguous; give more digits", url: url, ref: ref)
        }
        if code < 0 { throw GitError.fromLastError("git_object_lookup_prefix", code: code, url: url, ref: ref) }
        defer { git_object_free(object) }
        return git_object_id(object).pointee
    }

    private func revision(
        _ reference: GitReference, refName: String?, commitID: git_oid, url: String
    ) throws(GitError) -> ResolvedRevision {
        ResolvedRevision(
            reference: reference, refName: refName, version: nil,
            commit: try commitInfo(commitID, url: url))
    }

    /// Id, author, time and message of a commit.
    func commitInfo(_ id: git_oid, url: String) throws(GitError) -> CommitInfo {
        var oid = id
        var commit: OpaquePointer?
        try check("git_commit_lookup", url: url) { git_commit_lookup(&commit, handle, &oid) }
        defer { git_commit_free(commit) }
        let author = git_commit_author(commit)!.pointee
        let message = git_commit_message(commit).map { String(cString: $0) } ?? ""
        let subject = git_commit_summary(commit).map { String(cString: $0) } ?? ""
        return CommitInfo(
            id: id.hex, authorName: author.name.map { String(cString: $0) } ?? "",
            authorEmail: author.email.map { String(cString: $0) } ?? "",
            time: Date(timeIntervalSince1970: TimeInterval(author.when.time)),
            subject: subject, message: message)
    }
}
