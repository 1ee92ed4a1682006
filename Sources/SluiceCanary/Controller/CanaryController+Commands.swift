import Foundation
import SluiceKube
import SluiceModel

extension CanaryController {
    /// Watches every Canary for the `sluice.dev/canary-action` annotation, until cancelled.
    /// The Canary CRD may not be installed yet: discovery is retried every second.
    func watchCommands() async {
        while !Task.isCancelled {
            do {
                let kind = try await cluster.resourceKind(apiVersion: Canary.apiVersion, kind: "Canary")
                for try await event in cluster.observe(kind, namespace: nil) {
                    switch event {
                    case .added(let object), .modified(let object):
                        await command(from: object)
                    case .deleted(let object):
                        forget(Key(namespace: object.namespace ?? "default", name: object.name))
                    case .bookmark:
                        break
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("canary watch ended: \(error)")
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Carries out the command a Canary's annotation gives, once, then removes the annotation.
    func command(from object: Object) async {
        let key = Key(namespace: object.namespace ?? "default", name: object.name)
        guard let value = object.annotations[CanaryAction.annotation] else {
            consumedActions[key] = nil
            pendingCommands[key] = nil
            return
        }
        // `taken` is the controller's own mark while it removes a command it carried out.
        guard consumedActions[key] != value, value != CanaryAction.taken else { return }
        // Before this Canary's first sync since start there is no rollout to command yet.
        guard machines[key] != nil, tracked[key] != nil else {
            pendingCommands[key] = object
            return
        }
        pendingCommands[key] = nil
        consumedActions[key] = value
        let now = clock.now
        if let action = CanaryAction(annotation: value), var machine = machines[key] {
            let result: RolloutAction = switch action {
            case .pause: machine.pause(at: now)
            case .resume: machine.resume(at: now)
            case .promote: machine.promote(at: now)
            case .abort: machine.abort(reason: "aborted with \(CanaryAction.annotation)=abort", at: now)
            }
            machines[key] = machine
            if result == .none {
                note(key, CanaryEvent(
                    type: .normal, reason: "ActionIgnored",
                    message: "\(action.rawValue): nothing to do while the canary is \(machine.phase.rawValue)"))
            } else {
                logger.info("canary \(action.rawValue) requested", metadata: ["canary": "\(key.namespace)/\(key.name)"])
                await carryOut(result, for: key, sync: true)
            }
        } else {
            note(key, CanaryEvent(
                type: .warning, reason: "UnknownAction",
                message: "\(CanaryAction.annotation): \"\(value)\" is not one of "
                    + CanaryAction.allCases.map(\.rawValue).joined(separator: ", ")))
        }
        await flush(key)
        await removeAnnotation(key, value: value)
    }

    private func note(_ key: Key, _ event: CanaryEvent) {
        tracked[key]?.pendingEvents.append(event)
    }

    /// Removes the annotation with two applies: the first takes the field over from whoever set
    /// it (kubectl, the CLI) by writing `CanaryAction.taken` — a different value, since under
    /// server-side apply an equal value would only be co-owned — and the second drops it, now
    /// that no one else owns it. No other field of the Canary is touched.
    func removeAnnotation(_ key: Key, value: String) async {
        let owned = Object([
            "apiVersion": .string(Canary.apiVersion), "kind": "Canary",
            "metadata": [
                "name": .string(key.name), "namespace": .string(key.namespace),
                "annotations": [CanaryAction.annotation: .string(CanaryAction.taken)],
            ],
        ])
        let released = Object([
            "apiVersion": .string(Canary.apiVersion), "kind": "Canary",
            "metadata": ["name": .string(key.name), "namespace": .string(key.namespace)],
        ])
        do {
            _ = try await cluster.serverSideApply(owned, options: ApplyOptions(fieldManager: configuration.fieldManager, force: true))
            _ = try await cluster.serverSideApply(released, options: ApplyOptions(fieldManager: configuration.fieldManager))
        } catch {
            logger.warning("cannot remove \(CanaryAction.annotation) from \(key): \(error)")
        }
    }
}
