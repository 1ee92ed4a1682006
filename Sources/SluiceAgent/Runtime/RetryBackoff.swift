/// Exponential backoff for syncs that failed because the Git server or the API server was away:
/// 1 s, 2 s, 4 s… up to `ceiling`. Failures of the revision itself (render, validate) are not
/// retried: only a new commit can fix them.
struct RetryBackoff: Sendable {
    static let retryableStages: Set<String> = ["fetch", "apply", "prune"]

    var first: Duration = .seconds(1)
    var ceiling: Duration = .seconds(30)
    private var failures = 0

    mutating func next() -> Duration {
        defer { failures += 1 }
        let delay = first * (1 << min(failures, 16))
        return min(delay, ceiling)
    }

    mutating func reset() { failures = 0 }
}
