import Foundation
import SluiceCanary
import SluiceTestSupport
import Testing

@Suite("The Canary's status and Events")
struct CanaryStatusTests {
    typealias Machine = RolloutStateMachine<TestClock>
    static let backends = [
        RouteRuleSelector.Backend(name: "blue", port: 8080, weight: 100),
        RouteRuleSelector.Backend(name: "green", port: 8080, weight: 0),
    ]

    /// Runs a rollout that fails at step 2 and records every transition, as the controller will.
    @Test("each transition is recorded once, in order, with its Event")
    func history() throws {
        var machine = Machine(configuration: .init(steps: [10, 50, 100], interval: .seconds(30), minRequests: 20, failureLimit: 1))
        var status = CanaryStatus()
        var events: [CanaryEvent] = []
        func record(_ action: RolloutAction, at seconds: Double) {
            let transition: RolloutTransition
            let weights: [Int]
            switch action {
            case .none: return
            case .apply(let applied, let change): (transition, weights) = (change, applied)
            case .record(let change): (transition, weights) = (change, machine.weights ?? [0, 100])
            }
            events.append(status.record(
                transition, machine: machine.record, backends: Self.backends, weights: weights, generation: 3,
                at: Date(timeIntervalSince1970: 1_795_000_000 + seconds)))
        }

        record(machine.revisionArrived("main@sha1:abc", desired: [0, 100], live: [100, 0], at: t(0)), at: 0)
        for _ in 0..<20 { machine.observe(success: true) }
        record(machine.evaluate(at: t(30)), at: 30)
        machine.observe(success: false, detail: "probe health: status 500")
        record(machine.evaluate(at: t(31)), at: 31)

        #expect(events.map(\.reason) == ["RolloutStarted", "StepAdvanced", "RolloutFailed"])
        #expect(events.map(\.type) == [.normal, .normal, .warning])
        #expect(events[0].message == "revision main@sha1:abc: step 1 of 3, blue 90 / green 10")
        #expect(events[2].message == """
            revision main@sha1:abc rolled back to blue 100 / green 0 at step 2: success rate 0.0% over 1 samples, \
            below the required 99.0%; failed samples: probe health: status 500; not retried until Git changes
            """)
        #expect(status.phase == .rolledBack)
        #expect(status.history?.map(\.event) == ["RolloutStarted", "StepAdvanced", "RolloutFailed"])
        #expect(status.history?.map(\.weights) == [[90, 10], [50, 50], [100, 0]])
        #expect(status.weights?.map(\.weight) == [100, 0])
        #expect(status.lastTransitionTime == "2026-11-18T11:07:11Z")
        #expect(status.conditions?.map(\.type) == ["Ready"])
        #expect(status.conditions?.first?.status == "False")

        // The status survives a round trip through JSON, as it does through the API server.
        let stored = try JSONDecoder().decode(CanaryStatus.self, from: JSONEncoder().encode(status))
        #expect(stored == status)
        #expect(stored.rollout == machine.record)
    }

    @Test("a progressing canary is Reconciling and not yet Ready")
    func progressingConditions() {
        var machine = Machine(configuration: .init())
        var status = CanaryStatus()
        guard case .apply(let weights, let transition) = machine.revisionArrived("r2", desired: [0, 1], live: [1, 0], at: t(0)) else {
            Issue.record("expected the rollout to start")
            return
        }
        _ = status.record(transition, machine: machine.record, backends: Self.backends, weights: weights, generation: 1, at: Date())
        #expect(status.conditions?.map { "\($0.type)=\($0.status)" } == ["Ready=Unknown", "Reconciling=True"])
        #expect(status.step == 0)
    }

    @Test("the history keeps the newest entries only")
    func historyLimit() {
        var status = CanaryStatus()
        let machine = Machine(configuration: .init())
        for index in 0..<(CanaryStatus.historyLimit + 5) {
            _ = status.record(
                .appliedAtOnce(revision: "r\(index)"), machine: machine.record, backends: Self.backends, weights: [1, 0],
                generation: nil, at: Date())
        }
        #expect(status.history?.count == CanaryStatus.historyLimit)
        #expect(status.history?.last?.message.hasPrefix("revision r54:") == true)
    }
}
