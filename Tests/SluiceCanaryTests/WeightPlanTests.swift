import SluiceCanary
import SluiceTestSupport
import Testing

@Suite("Weights at each step")
struct WeightPlanTests {
    @Test("blue/green moves by the step's share")
    func blueGreen() {
        let plan = WeightPlan(stable: [100, 0], target: [0, 100], steps: [10, 50, 100])
        #expect(plan.needsRollout)
        #expect((0..<3).map(plan.weights(atStep:)) == [[90, 10], [50, 50], [0, 100]])
    }

    @Test("the last step is Git's weights as written, not percentages")
    func lastStepIsGit() {
        let plan = WeightPlan(stable: [3, 1], target: [0, 7], steps: [50, 100])
        #expect(plan.weights(atStep: 0) == [38, 62])
        #expect(plan.weights(atStep: 1) == [0, 7])
    }

    @Test("three backends round to whole weights that sum to 100")
    func rounding() {
        let plan = WeightPlan(stable: [1, 1, 1], target: [0, 0, 1], steps: [33])
        let weights = plan.weights(atStep: 0)
        #expect(weights.reduce(0, +) == 100)
        #expect(weights == [23, 22, 55])
    }

    @Test("equal shares, or a side that serves nothing, need no rollout")
    func noRollout() {
        #expect(!WeightPlan(stable: [1, 1], target: [50, 50], steps: [50]).needsRollout)
        #expect(!WeightPlan(stable: [0, 0], target: [0, 100], steps: [50]).needsRollout)
        #expect(!WeightPlan(stable: [100, 0], target: [0, 0], steps: [50]).needsRollout)
    }
}
