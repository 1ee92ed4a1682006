/// The weights of one route rule's backends at each step of a rollout, from the weights that
/// were serving when it began (`stable`) to the weights Git asks for (`target`).
///
/// A step is the share of traffic, in percent, that follows Git's distribution: at step `s`
/// each backend gets `(100 − s)%` of its stable share plus `s%` of its target share, rounded to
/// whole weights summing to 100 (largest remainder, ties to the earlier backend). Blue 100 /
/// green 0 towards blue 0 / green 100 through steps 10, 50, 100 is 90/10, 50/50, 0/100. The
/// last step, 100, applies Git's weights exactly as written, so the promoted route equals Git.
public struct WeightPlan: Sendable, Hashable, Codable {
    public var stable: [Int]
    public var target: [Int]
    public var steps: [Int]

    public init(stable: [Int], target: [Int], steps: [Int]) {
        precondition(stable.count == target.count, "stable and target weights describe the same backends")
        self.stable = stable
        self.target = target
        self.steps = steps
    }

    /// Whether there is anything to walk through: the shares differ and both sides send traffic
    /// somewhere (a rule whose weights are all zero serves nothing, so it is applied at once).
    public var needsRollout: Bool {
        stable.reduce(0, +) > 0 && target.reduce(0, +) > 0 && shares(stable) != shares(target)
    }

    /// The weights at step `index` of `steps`.
    public func weights(atStep index: Int) -> [Int] {
        weights(forShare: steps[index])
    }

    /// The weights when `share` percent of the traffic follows the target.
    public func weights(forShare share: Int) -> [Int] {
        if share >= 100 { return target }
        if share <= 0 { return stable }
        let from = shares(stable)
        let to = shares(target)
        let exact = zip(from, to).map { (100 - Double(share)) / 100 * $0 + Double(share) / 100 * $1 }
        var rounded = exact.map { Int($0.rounded(.down)) }
        var missing = 100 - rounded.reduce(0, +)
        let byRemainder = exact.indices.sorted { lhs, rhs in
            let left = exact[lhs] - exact[lhs].rounded(.down)
            let right = exact[rhs] - exact[rhs].rounded(.down)
            // Remainders equal but for floating-point noise are ties.
            return abs(left - right) > 1e-9 ? left > right : lhs < rhs
        }
        for index in byRemainder where missing > 0 {
            rounded[index] += 1
            missing -= 1
        }
        return rounded
    }

    /// Each weight as a percentage of the total.
    private func shares(_ weights: [Int]) -> [Double] {
        let total = Double(weights.reduce(0, +))
        return weights.map { total > 0 ? Double($0) * 100 / total : 0 }
    }
}
