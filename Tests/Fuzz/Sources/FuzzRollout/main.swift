import FuzzSupport
import SluiceCanary

/// A clock for the machine's type; the inputs name every instant.
struct InputClock: Clock {
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

/// One input: a configuration and a sequence of operations on a rollout (revisions with random
/// weights, samples, checks, pause, resume, promote, abort, restart from the record), checking
/// after each that the machine's state holds together.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRollout(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var bytes = fuzzInput(data, size).makeIterator()
    func next() -> Int { Int(bytes.next() ?? 0) }
    let steps = (0..<(1 + next() % 4)).map { 1 + (($0 + 1) * (1 + next() % 40)) % 100 }.sorted()
    let configuration = RolloutStateMachine<InputClock>.Configuration(
        steps: Array(Set(steps)).sorted(), interval: .seconds(next() % 10), successRate: Double(next() % 101) / 100,
        minRequests: 1 + next() % 10, failureLimit: 1 + next() % 3,
        gates: Set(ManualGate.allCases.filter { _ in next() % 2 == 0 }))
    var machine = RolloutStateMachine<InputClock>(configuration: configuration)
    var now = InputClock.Instant(offset: .zero)
    var live = [100, 0]
    var revision = 0
    for _ in 0..<64 {
        guard let operation = bytes.next() else { break }
        now = now.advanced(by: .seconds(next() % 20))
        let action: RolloutAction
        switch operation % 9 {
        case 0:
            revision += next() % 2
            action = machine.revisionArrived("r\(revision)", desired: [next() % 3 * 50, next() % 3 * 50], live: live, at: now)
        case 1, 2: machine.observe(success: next() % 8 != 0, detail: "sample"); action = .none
        case 3: action = machine.evaluate(at: now)
        case 4: action = machine.pause(at: now)
        case 5: action = machine.resume(at: now)
        case 6: action = machine.promote(at: now)
        case 7: action = machine.abort(reason: "fuzz", at: now)
        default:
            machine = RolloutStateMachine(configuration: configuration, restoring: machine.record, now: now)
            action = .none
        }
        if case .apply(let weights, _) = action {
            precondition(weights.count == live.count, "weights for \(weights.count) backends, the rule has \(live.count)")
            live = weights
        }
        switch machine.phase {
        case .progressing: precondition(machine.step != nil && machine.plan != nil, "progressing without a step")
        case .paused: precondition(machine.pauseReason != nil, "paused without a reason")
        case .rolledBack: precondition(machine.rejectedRevision != nil, "rolled back without a rejected revision")
        case .idle, .promoted: precondition(machine.step == nil, "a step outside a rollout")
        }
        if let weights = machine.weights { precondition(weights.allSatisfy { $0 >= 0 }, "negative weight") }
    }
    return 0
}

runLibFuzzer { data, size in fuzzRollout(data, size) }
