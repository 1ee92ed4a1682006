import Foundation
import SluiceCanary
import SluiceTestSupport
import Testing

@Suite("Rollout state machine, driven by a test clock")
struct RolloutStateMachineTests {
    typealias Machine = RolloutStateMachine<TestClock>

    static let configuration = Machine.Configuration(
        steps: [10, 50, 100], interval: .seconds(30), successRate: 0.99, minRequests: 20, failureLimit: 2)

    /// A machine that has begun rolling blue 100 / green 0 towards blue 0 / green 100 at t=0.
    func started(_ configuration: Machine.Configuration = configuration) -> Machine {
        var machine = Machine(configuration: configuration)
        _ = machine.revisionArrived("rev-2", desired: [0, 100], live: [100, 0], at: t(0))
        return machine
    }

    func succeed(_ machine: inout Machine, _ count: Int = 20) {
        for _ in 0..<count { machine.observe(success: true) }
    }

    @Test("a healthy rollout walks 90/10 → 50/50 → 0/100 and is promoted")
    func healthy() {
        var machine = Machine(configuration: Self.configuration)
        #expect(machine.revisionArrived("rev-2", desired: [0, 100], live: [100, 0], at: t(0))
            == .apply(weights: [90, 10], .started(revision: "rev-2", step: 0)))
        #expect(machine.phase == .progressing)
        #expect(machine.weights == [90, 10])

        succeed(&machine)
        #expect(machine.evaluate(at: t(29)) == .none, "a step is held for the whole interval")
        #expect(machine.evaluate(at: t(30)) == .apply(weights: [50, 50], .advanced(step: 1)))

        succeed(&machine, 19)
        #expect(machine.evaluate(at: t(70)) == .none, "19 samples are fewer than minRequests")
        succeed(&machine, 1)
        #expect(machine.evaluate(at: t(70)) == .apply(weights: [0, 100], .advanced(step: 2)))

        succeed(&machine)
        #expect(machine.evaluate(at: t(100)) == .apply(weights: [0, 100], .promoted(revision: "rev-2")))
        #expect(machine.phase == .promoted)
        #expect(machine.weights == nil, "promoted: Git's own weights apply")
        #expect(machine.stableWeights == [0, 100])
        #expect(machine.revisionArrived("rev-2", desired: [0, 100], live: [0, 100], at: t(101)) == .none)
    }

    @Test("failures roll back to the last promoted weights after failureLimit checks")
    func rollback() {
        var machine = started()
        succeed(&machine, 5)
        machine.observe(success: false, detail: "probe health: status 500")
        guard case .record(.checkFailed(let first, remaining: 1)) = machine.evaluate(at: t(1)) else {
            Issue.record("one failure among fewer than minRequests samples already fails a 99% check")
            return
        }
        #expect(first.evidence == Evidence(successes: 5, failures: 1, failedSamples: ["probe health: status 500"]))
        #expect(machine.phase == .progressing)

        machine.observe(success: false, detail: "probe health: took 900ms, more than 500ms")
        guard case .apply(let weights, .rolledBack(let failure)) = machine.evaluate(at: t(2)) else {
            Issue.record("the second failed check rolls back")
            return
        }
        #expect(weights == [100, 0])
        #expect(failure.summary.contains("took 900ms"))
        #expect(machine.phase == .rolledBack)
        #expect(machine.weights == [100, 0])

        #expect(machine.revisionArrived("rev-2", desired: [0, 100], live: [100, 0], at: t(10))
            == .none, "the same revision is not retried")
        #expect(machine.weights == [100, 0])
        #expect(machine.revisionArrived("rev-3", desired: [0, 100], live: [100, 0], at: t(20))
            == .apply(weights: [90, 10], .started(revision: "rev-3", step: 0)), "a new revision is")
    }

    @Test("a success rate under the threshold with enough samples fails the check")
    func lowSuccessRate() {
        var machine = started(.init(steps: [50, 100], successRate: 0.9, minRequests: 10, failureLimit: 1))
        for index in 0..<10 { machine.observe(success: index % 5 != 0) }
        guard case .apply([100, 0], .rolledBack(let failure)) = machine.evaluate(at: t(60)) else {
            Issue.record("80% is below 90%")
            return
        }
        #expect(failure.evidence.successRate == 0.8)
    }

    @Test("pause holds the step; resume holds it again for a whole interval")
    func pauseAndResume() {
        var machine = started()
        succeed(&machine)
        #expect(machine.pause(at: t(10)) == .record(.paused(.manual)))
        #expect(machine.phase == .paused)
        #expect(machine.evaluate(at: t(100)) == .none)
        machine.observe(success: false)
        #expect(machine.evidence.samples == 0, "nothing is counted while paused")
        #expect(machine.resume(at: t(100)) == .record(.resumed(step: 0)))
        succeed(&machine)
        #expect(machine.evaluate(at: t(120)) == .none)
        #expect(machine.evaluate(at: t(130)) == .apply(weights: [50, 50], .advanced(step: 1)))
    }

    @Test("manual gates wait before the first step and before Git's weights")
    func gates() {
        var configuration = Self.configuration
        configuration.gates = [.beforeRollout, .beforePromotion]
        var machine = Machine(configuration: configuration)
        #expect(machine.revisionArrived("rev-2", desired: [0, 100], live: [100, 0], at: t(0))
            == .record(.paused(.gate(.beforeRollout))))
        #expect(machine.weights == [100, 0])
        #expect(machine.resume(at: t(5)) == .apply(weights: [90, 10], .started(revision: "rev-2", step: 0)))
        succeed(&machine)
        #expect(machine.evaluate(at: t(35)) == .apply(weights: [50, 50], .advanced(step: 1)))
        succeed(&machine)
        #expect(machine.evaluate(at: t(65)) == .record(.paused(.gate(.beforePromotion))))
        #expect(machine.weights == [50, 50])
        #expect(machine.resume(at: t(70)) == .apply(weights: [0, 100], .advanced(step: 2)))
    }

    @Test("promote skips the remaining steps; abort returns to the stable weights")
    func promoteAndAbort() {
        var machine = started()
        #expect(machine.promote(at: t(1)) == .apply(weights: [0, 100], .promoted(revision: "rev-2")))
        #expect(machine.phase == .promoted)
        // The sync that applies the promotion still sees step 1's weights live: no new rollout.
        #expect(machine.revisionArrived("rev-2", desired: [0, 100], live: [90, 10], at: t(2)) == .none)
        #expect(machine.phase == .promoted)
        #expect(machine.weights == nil, "Git's weights apply")
        // Git moving again starts from what serves.
        #expect(machine.revisionArrived("rev-3", desired: [100, 0], live: [0, 100], at: t(3)) == .apply(weights: [10, 90], .started(revision: "rev-3", step: 0)))

        var other = started()
        #expect(other.abort(reason: "by sluice canary abort", at: t(1))
            == .apply(weights: [100, 0], .aborted(reason: "by sluice canary abort")))
        #expect(other.phase == .rolledBack)
        #expect(other.revisionArrived("rev-2", desired: [0, 100], live: [100, 0], at: t(2)) == .none)
    }

    @Test("a restart resumes the same step from the record, with a fresh interval")
    func restart() throws {
        var machine = started()
        succeed(&machine)
        _ = machine.evaluate(at: t(30))
        #expect(machine.step == 1)
        let stored = try JSONEncoder().encode(machine.record)
        let record = try JSONDecoder().decode(RolloutRecord.self, from: stored)

        var restored = Machine(configuration: Self.configuration, restoring: record, now: t(1000))
        #expect(restored.phase == .progressing)
        #expect(restored.step == 1)
        #expect(restored.weights == [50, 50])
        #expect(restored.evidence.samples == 0)
        succeed(&restored)
        #expect(restored.evaluate(at: t(1029)) == .none)
        #expect(restored.evaluate(at: t(1030)) == .apply(weights: [0, 100], .advanced(step: 2)))
    }

    @Test("a new revision mid-rollout starts again from what serves; rollback still returns to the promoted weights")
    func newRevisionMidRollout() {
        var machine = started()
        succeed(&machine)
        _ = machine.evaluate(at: t(30))
        #expect(machine.revisionArrived("rev-3", desired: [20, 80], live: [50, 50], at: t(40))
            == .apply(weights: [47, 53], .started(revision: "rev-3", step: 0)))
        #expect(machine.stableWeights == [100, 0])
        machine.observe(success: false)
        _ = machine.evaluate(at: t(41))
        machine.observe(success: false)
        #expect(machine.evaluate(at: t(42)).weights == [100, 0])
    }

    @Test("a commit that leaves the rule's weights alone does not restart a rollout")
    func unrelatedCommit() {
        var machine = started()
        succeed(&machine)
        _ = machine.evaluate(at: t(30))
        #expect(machine.revisionArrived("rev-3", desired: [0, 100], live: [50, 50], at: t(40)) == .none)
        #expect(machine.step == 1)
        #expect(machine.revision == "rev-3")
    }

    @Test("weights Git already serves are applied at once, and only once")
    func nothingToRoll() {
        var machine = Machine(configuration: Self.configuration)
        #expect(machine.revisionArrived("rev-1", desired: [100, 0], live: [100, 0], at: t(0))
            == .apply(weights: [100, 0], .appliedAtOnce(revision: "rev-1")))
        #expect(machine.phase == .idle)
        #expect(machine.revisionArrived("rev-1", desired: [100, 0], live: [100, 0], at: t(30)) == .none)
        #expect(machine.revisionArrived("rev-2", desired: [100, 0], live: [100, 0], at: t(45)) == .none,
                "a commit that does not touch the weights records nothing")
        #expect(machine.revisionArrived("rev-3", desired: [2, 0], live: [100, 0], at: t(60))
            == .apply(weights: [2, 0], .appliedAtOnce(revision: "rev-3")), "the same shares need no steps")
    }
}

extension RolloutAction {
    var weights: [Int]? {
        if case .apply(let weights, _) = self { return weights }
        return nil
    }
}
