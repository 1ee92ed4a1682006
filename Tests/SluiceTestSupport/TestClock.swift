/// A clock that never moves by itself: tests name each instant (`t(30)` is 30 s after start).
public struct TestClock: Clock {
    public struct Instant: InstantProtocol {
        public var offset: Duration

        public init(offset: Duration) { self.offset = offset }

        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    public init() {}

    public var now: Instant { Instant(offset: .zero) }
    public var minimumResolution: Duration { .zero }
    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {}
}

/// The instant `seconds` after the test clock's start.
public func t(_ seconds: Double) -> TestClock.Instant {
    TestClock.Instant(offset: .milliseconds(Int64(seconds * 1000)))
}
