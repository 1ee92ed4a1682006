import SluiceModel

extension CanaryControl {
    /// The human summary `sluice canary status` prints: where the rollout is, the weights, the
    /// conditions, and the history (newest last).
    public static func report(_ object: Object) -> String {
        let canary = try? object.decode(as: Canary.self)
        let status = canary?.status
        let namespace = object.namespace ?? "default"
        var lines: [String] = []
        let route = canary.map { "\($0.spec.routeRef.kind ?? "HTTPRoute") \(namespace)/\($0.spec.routeRef.name)" } ?? "?"
        lines.append("Canary \(namespace)/\(object.name)  (route \(route))")
        let steps = canary?.spec.steps ?? []
        var phase = "phase: \(status?.phase?.rawValue ?? "Idle (no rollout yet)")"
        if let step = status?.step {
            let stepCount = status?.rollout?.plan?.steps.count ?? steps.count
            phase += "  step: \(step + 1) of \(stepCount)"
            if let share = status?.rollout?.plan?.steps[safe: step] ?? steps[safe: step] { phase += " (\(share)%)" }
        }
        lines.append(phase)
        if let revision = status?.revision { lines.append("revision: \(revision)") }
        if let weights = status?.weights, !weights.isEmpty {
            lines.append("weights: " + weights.map { "\($0.name) \($0.weight)" }.joined(separator: " / "))
        }
        if let time = status?.lastTransitionTime { lines.append("last transition: \(time)") }
        if let action = object.annotations[CanaryAction.annotation], action != CanaryAction.taken {
            lines.append("pending action: \(action) (not yet taken by the agent)")
        }
        for condition in status?.conditions ?? [] {
            lines.append("condition \(condition.type)=\(condition.status) \(condition.reason): \(condition.message)")
        }
        let history = status?.history ?? []
        if !history.isEmpty {
            lines.append("history:")
            for entry in history {
                let step = entry.step.map { "step \($0 + 1)" } ?? "-"
                let weights = entry.weights.map { $0.map(String.init).joined(separator: "/") } ?? "-"
                lines.append("  \(entry.time)  \(entry.event)  \(step)  \(weights)  \(entry.message)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

private extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
