import Synchronization

/// Counters of one backend, shared by every event loop. The canary reads `snapshot()`.
public final class BackendStats: Sendable {
    /// Upper bounds of the latency buckets, in seconds (Prometheus style; the last bucket is +Inf).
    public static let latencyBounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// The same bounds in nanoseconds, for the lookup each response makes.
    static let latencyBoundsNanoseconds: [Int64] = latencyBounds.map { Int64(($0 * 1e9).rounded()) }

    private let state = Mutex(Counts())
    /// Counted apart, without the lock (a lock and an unlock more per request otherwise);
    /// `snapshot` reads it after the rest, so it never shows fewer requests than responses.
    private let requests = Atomic(0)
    private let mirrorsSkipped = Atomic(0)

    public init() {
        assert(Counts().latencyBuckets.count == Self.latencyBounds.count + 1)
    }

    /// The counters at one moment.
    public struct Snapshot: Sendable, Hashable {
        /// Requests sent (or attempted) to this backend.
        public var requests = 0
        /// Responses by class: index 0 is 1xx ... index 4 is 5xx. Proxy-made answers (502, 504) count too.
        public var responsesByClass = [0, 0, 0, 0, 0]
        /// Bucket counts (not cumulative), one per `latencyBounds` entry plus +Inf.
        public var latencyBuckets = [Int](repeating: 0, count: BackendStats.latencyBounds.count + 1)
        /// Sum of latencies, in seconds.
        public var latencySum = 0.0
        /// Requests this backend, as a mirror, did not get: their bodies were over the limit.
        public var mirrorsSkipped = 0

        public var responses: Int { responsesByClass.reduce(0, +) }
        /// Share of responses that were 5xx (0 when there were none).
        public var errorRate: Double { responses == 0 ? 0 : Double(responsesByClass[4]) / Double(responses) }
    }

    /// What the lock guards: fixed-size counters, changed in place (the arrays of a `Snapshot`
    /// were checked for a second owner, and their global bounds for initialization, on every
    /// response).
    private struct Counts {
        var responsesByClass = InlineArray<5, Int>(repeating: 0)
        var latencyBuckets = InlineArray<15, Int>(repeating: 0)
        var latencySum = 0.0
    }

    public func snapshot() -> Snapshot {
        let counts = state.withLock { $0 }
        var snapshot = Snapshot()
        snapshot.responsesByClass = counts.responsesByClass.indices.map { counts.responsesByClass[$0] }
        snapshot.latencyBuckets = counts.latencyBuckets.indices.map { counts.latencyBuckets[$0] }
        snapshot.latencySum = counts.latencySum
        snapshot.requests = requests.load(ordering: .acquiring)
        snapshot.mirrorsSkipped = mirrorsSkipped.load(ordering: .relaxed)
        return snapshot
    }

    func recordMirrorSkipped() {
        mirrorsSkipped.wrappingAdd(1, ordering: .relaxed)
    }

    func recordRequest() {
        requests.wrappingAdd(1, ordering: .releasing)
    }

    /// One finished exchange: its status and the time from the request head's first byte (or its
    /// parsing, when that was not timed) to the response's end.
    func recordResponse(status: Int, latency: Duration) {
        let (wholeSeconds, attoseconds) = latency.components
        let nanoseconds = wholeSeconds * 1_000_000_000 + attoseconds / 1_000_000_000
        let seconds = Double(nanoseconds) / 1e9
        let statusClass = min(max(status / 100, 1), 5) - 1
        let bounds = Self.latencyBoundsNanoseconds
        var bucket = 0
        while bucket < bounds.count, nanoseconds > bounds[bucket] { bucket += 1 }
        state.withLock {
            $0.responsesByClass[statusClass] += 1
            $0.latencyBuckets[bucket] += 1
            $0.latencySum += seconds
        }
    }
}

/// Statistics of every backend, kept across RouteTable reloads (keyed by Service and port).
public final class ProxyStats: Sendable {
    private let backends = Mutex<[BackendKey: BackendStats]>([:])

    public init() {}

    /// The counters of one backend, created on first use.
    public func backend(_ key: BackendKey) -> BackendStats {
        backends.withLock { all in
            if let existing = all[key] { return existing }
            let created = BackendStats()
            all[key] = created
            return created
        }
    }

    /// Every backend's counters now.
    public func snapshot() -> [BackendKey: BackendStats.Snapshot] {
        backends.withLock { $0 }.mapValues { $0.snapshot() }
    }

    /// The counters in Prometheus text format (`sluice_proxy_backend_*`).
    public func prometheusText() -> String {
        let backends = snapshot().sorted(by: { $0.key < $1.key })
        guard !backends.isEmpty else { return "" }
        // Each family's lines together under its TYPE, as the text format wants.
        var requests = ["# TYPE sluice_proxy_backend_requests_total counter"]
        var responses = ["# TYPE sluice_proxy_backend_responses_total counter"]
        var latency = ["# TYPE sluice_proxy_backend_latency_seconds histogram"]
        var skipped = ["# TYPE sluice_proxy_backend_mirrors_skipped_total counter"]
        for (key, stats) in backends {
            let labels = "namespace=\"\(key.namespace)\",service=\"\(key.name)\",port=\"\(key.port)\""
            requests.append("sluice_proxy_backend_requests_total{\(labels)} \(stats.requests)")
            for (index, count) in stats.responsesByClass.enumerated() {
                responses.append("sluice_proxy_backend_responses_total{\(labels),class=\"\(index + 1)xx\"} \(count)")
            }
            var cumulative = 0
            for (index, count) in stats.latencyBuckets.enumerated() {
                cumulative += count
                let bound = index < BackendStats.latencyBounds.count ? "\(BackendStats.latencyBounds[index])" : "+Inf"
                latency.append("sluice_proxy_backend_latency_seconds_bucket{\(labels),le=\"\(bound)\"} \(cumulative)")
            }
            latency.append("sluice_proxy_backend_latency_seconds_sum{\(labels)} \(stats.latencySum)")
            latency.append("sluice_proxy_backend_latency_seconds_count{\(labels)} \(cumulative)")
            skipped.append("sluice_proxy_backend_mirrors_skipped_total{\(labels)} \(stats.mirrorsSkipped)")
        }
        return (requests + responses + latency + skipped).joined(separator: "\n") + "\n"
    }
}
