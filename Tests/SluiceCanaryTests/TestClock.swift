/// A clock that never moves by itself: tests name each instant (`t(30)` is 30 s after start).
struct TestClock: Clock {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    var now: Instant { Instant(offset: .zero) }
    var minimumResolution: Duration { .zero }
    func sleep(until deadline: Instant, tolerance: Duration?) async throws {}
}

/// The instant `seconds` after the test clock's start.
func t(_ seconds: Double) -> TestClock.Instant {
    TestClock.Instant(offset: .milliseconds(Int64(seconds * 1000)))
}
