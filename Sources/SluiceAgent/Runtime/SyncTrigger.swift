/// Wakes the sync loop: a poll tick or a webhook asks for a fetch, a canary step or a new
/// leadership only for an apply. Wake-ups that arrive while a sync runs fold into one.
actor SyncTrigger {
    private var fetchWanted = false
    nonisolated let wakeups: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (wakeups, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func fire(fetch: Bool) {
        if fetch { fetchWanted = true }
        continuation.yield()
    }

    /// Whether any wake-up since the last call asked for a fetch.
    func takeFetch() -> Bool {
        defer { fetchWanted = false }
        return fetchWanted
    }
}
