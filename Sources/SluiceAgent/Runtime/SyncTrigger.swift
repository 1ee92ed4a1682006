/// Wakes the sync loop: a poll tick or a webhook asks for a fetch, a canary step or a new
/// leadership for an apply of the current revision. Wake-ups that arrive while a sync runs fold
/// into one that does everything asked.
actor SyncTrigger {
    struct Request: Sendable {
        var fetch = false
        var apply = false
    }

    private var pending = Request()
    nonisolated let wakeups: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (wakeups, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func fire(fetch: Bool = false, apply: Bool = false) {
        pending.fetch = pending.fetch || fetch
        pending.apply = pending.apply || apply
        continuation.yield()
    }

    /// What the wake-ups since the last call asked for.
    func take() -> Request {
        defer { pending = Request() }
        return pending
    }
}
