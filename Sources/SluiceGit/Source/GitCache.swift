import Crypto
import Foundation
import Logging

/// A directory of bare repositories, one per remote URL, that fetches keep up to date
/// incrementally. Each entry is guarded by a lock file, so two processes sharing a cache
/// never write one repository at once.
///
/// Nothing is left half-written: a first clone is built in a temporary directory and renamed
/// into place; a later fetch moves refs only after its pack is complete; a cache entry that
/// cannot be read any more is rebuilt from the remote in the same way.
public struct GitCache: Sendable {
    /// The directory that holds one bare repository per remote.
    public let directory: URL
    /// Above this many packs an entry is repacked into one after a fetch (git's
    /// `gc.autoPackLimit`): every fetch that brings something adds a pack.
    public let autoPackLimit: Int
    let logger: Logger

    public init(directory: URL, autoPackLimit: Int = 50, logger: Logger = Logger(label: "sluice.git")) {
        self.directory = directory
        self.autoPackLimit = autoPackLimit
        self.logger = logger
    }

    /// The outcome of bringing one remote up to date.
    public struct FetchReport: Sendable, Equatable {
        public var url: String
        public var statistics: FetchStatistics
        /// True when the cache entry was created or rebuilt by this fetch.
        public var cloned: Bool
        /// Why an existing entry was rebuilt, if it was.
        public var rebuiltBecause: String?
        /// Wall time of the fetch, in seconds.
        public var seconds: Double
    }

    /// A fetched, resolved and read revision.
    public struct Checkout: Sendable {
        public var fetch: FetchReport
        public var revision: ResolvedRevision
        public var snapshot: Snapshot
    }

    /// Where the bare repository for `url` lives: a readable name plus a hash of the URL
    /// (without credentials), so two URLs never share an entry.
    public func entryPath(for url: String) -> URL {
        let key = redactingCredentials(url)
        let digest = SHA256.hash(data: Data(key.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
        let readable = key.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "-" && $0 != "." })
            .suffix(3).joined(separator: "-").prefix(60)
        return directory.appendingPathComponent("\(readable)-\(digest).git")
    }

    /// Brings the cache entry for `remote` up to date with every branch and tag.
    @discardableResult
    public func fetch(_ remote: GitRemote) throws(GitError) -> FetchReport {
        try withEntryLock(remote) { entry throws(GitError) in
            try fetchLocked(remote, entry: entry)
        }
    }

    /// Fetches `remote`, resolves `reference` and reads the snapshot under `path`: what one sync
    /// of a Git source needs. A cache entry found unreadable on the way is rebuilt once.
    public func checkout(_ remote: GitRemote, reference: GitReference, path: String = "")
        throws(GitError) -> Checkout
    {
        try withEntryLock(remote) { entry throws(GitError) in
            var report = try fetchLocked(remote, entry: entry)
            do throws(GitError) {
                return try read(remote, reference: reference, path: path, entry: entry, report: report)
            } catch let error where error.reason == .cache || error.reason == .libgit2 {
                logger.warning(
                    "cache entry unreadable, rebuilding",
                    metadata: ["url": "\(remote.displayURL)", "error": "\(error)"])
                report = try rebuild(remote, entry: entry, because: error.description)
                return try read(remote, reference: reference, path: path, entry: entry, report: report)
            }
        }
    }

    /// Resolves `reference` in the cache without fetching (the last fetched state).
    public func resolve(_ remote: GitRemote, reference: GitReference) throws(GitError) -> ResolvedRevision {
        let repository = try GitRepository.openBare(at: entryPath(for: remote.url).path)
        return try repository.resolve(reference, url: remote.displayURL)
    }

    private func read(
        _ remote: GitRemote, reference: GitReference, path: String, entry: URL, report: FetchReport
    ) throws(GitError) -> Checkout {
        let repository = try GitRepository.openBare(at: entry.path)
        let revision = try repository.resolve(reference, url: remote.displayURL)
        let snapshot = try repository.snapshot(commit: revision.commit, subPath: path, url: remote.displayURL)
        return Checkout(fetch: report, revision: revision, snapshot: snapshot)
    }

    // MARK: - Fetching under the entry lock

    private func fetchLocked(_ remote: GitRemote, entry: URL) throws(GitError) -> FetchReport {
        guard FileManager.default.fileExists(atPath: entry.path) else {
            return try rebuild(remote, entry: entry, because: nil)
        }
        let started = ContinuousClock.now
        do throws(GitError) {
            let repository = try GitRepository.openBare(at: entry.path)
            let statistics = try repository.fetch(from: remote)
            // Only a fetch that received objects added a pack: the common poll that brings
            // nothing does not list the pack directory.
            if statistics.receivedObjects > 0, repository.packFiles.count > autoPackLimit {
                let replaced = try repository.repack()
                logger.info("repacked the cache entry", metadata: ["url": "\(remote.displayURL)", "packs": "\(replaced)"])
            }
            return FetchReport(
                url: remote.displayURL, statistics: statistics, cloned: false, rebuiltBecause: nil,
                seconds: started.duration(to: .now).seconds)
        } catch let error where Self.isLocalFailure(error) {
            logger.warning(
                "cache entry broken, rebuilding",
                metadata: ["url": "\(remote.displayURL)", "error": "\(error)"])
            return try rebuild(remote, entry: entry, because: error.description)
        }
    }

    /// Failures of the remote (unreachable, credentials, host key, missing ref) say nothing
    /// about the cache; anything else may be a damaged entry, which a fresh clone repairs.
    private static func isLocalFailure(_ error: GitError) -> Bool {
        switch error.reason {
        case .cache, .libgit2: true
        case .unreachable, .authenticationFailed, .unknownHostKey, .certificateRejected,
            .refNotFound, .noVersionSatisfies, .pathNotFound, .invalidInput:
            false
        }
    }

    /// Clones into a temporary directory beside the entry, then swaps it in. The old entry
    /// stays in place until the new one is complete.
    private func rebuild(_ remote: GitRemote, entry: URL, because reason: String?) throws(GitError)
        -> FetchReport
    {
        let started = ContinuousClock.now
        let fileManager = FileManager.default
        let staging = entry.deletingLastPathComponent()
            .appendingPathComponent(".tmp-\(UUID().uuidString)-" + entry.lastPathComponent)
        defer { try? fileManager.removeItem(at: staging) }
        let statistics: FetchStatistics
        do {
            let repository = try GitRepository.initBare(at: staging.path)
            statistics = try repository.fetch(from: remote)
        }
        let retired = entry.deletingLastPathComponent()
            .appendingPathComponent(".old-\(UUID().uuidString)-" + entry.lastPathComponent)
        do {
            if fileManager.fileExists(atPath: entry.path) {
                try fileManager.moveItem(at: entry, to: retired)
            }
            try fileManager.moveItem(at: staging, to: entry)
        } catch {
            throw GitError(
                .cache, "cannot move the new clone into \(entry.path): \(error)", url: remote.url)
        }
        try? fileManager.removeItem(at: retired)
        return FetchReport(
            url: remote.displayURL, statistics: statistics, cloned: true, rebuiltBecause: reason,
            seconds: started.duration(to: .now).seconds)
    }

    private func withEntryLock<Result>(
        _ remote: GitRemote, _ body: (URL) throws(GitError) -> Result
    ) throws(GitError) -> Result {
        let entry = entryPath(for: remote.url)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw GitError(.cache, "cannot create cache directory \(directory.path): \(error)", url: remote.url)
        }
        let lockPath = entry.path + ".lock"
        let descriptor = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw GitError(.cache, "cannot open lock file \(lockPath): errno \(errno)", url: remote.url)
        }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else {
            throw GitError(.cache, "cannot lock \(lockPath): errno \(errno)", url: remote.url)
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body(entry)
    }
}

extension Duration {
    /// The duration in seconds, as a Double for reports.
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
