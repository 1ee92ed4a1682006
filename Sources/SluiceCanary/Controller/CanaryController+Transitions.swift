import Foundation
import SluiceKube
import SluiceModel

extension CanaryController {
    /// Carries out what a state machine asked for: records the transition (status, Event,
    /// metrics), writes the status, and, for new weights, asks for a sync when `sync` is set (the
    /// overlay's own caller is that sync). The status is written first, so an agent killed
    /// between the two resumes at the step the weights are about to reach.
    func carryOut(_ action: RolloutAction, for key: Key, sync: Bool) async {
        let transition: RolloutTransition
        let weights: [Int]
        switch action {
        case .none:
            return
        case .apply(let applied, let change):
            (transition, weights) = (change, applied)
        case .record(let change):
            (transition, weights) = (change, tracked[key]?.backends.map(\.weight) ?? [])
        }
        let event = record(transition, weights: weights, for: key)
        await flush(key)
        if case .apply = action, sync { await requestSync() }
        switch transition {
        case .rolledBack, .aborted:
            // After the weights went back: a slow webhook must not hold the rollback up.
            if let event {
                let body = CanaryAlerts.body(
                    reason: event.reason, canary: "\(key.namespace)/\(key.name)", revision: machines[key]?.revision,
                    message: event.message, time: Date())
                await configuration.alerts.post(body, logger: logger)
            }
        case .appliedAtOnce, .started, .advanced, .promoted, .checkFailed, .paused, .resumed:
            break
        }
    }

    /// Brings the tracked status, the window and the metrics up to date after `transition`.
    @discardableResult
    func record(_ transition: RolloutTransition, weights: [Int], for key: Key) -> CanaryEvent? {
        guard var entry = tracked[key], let machine = machines[key] else { return nil }
        let now = clock.now
        let name = "\(key.namespace)/\(key.name)"
        switch transition {
        case .advanced, .promoted, .rolledBack, .aborted:
            if let started = entry.stepStarted { metrics.stepDuration(canary: name, started.duration(to: now)) }
        case .appliedAtOnce, .started, .checkFailed, .paused, .resumed:
            break
        }
        switch transition {
        case .started, .advanced, .resumed:
            entry.stepStarted = now
        case .checkFailed:
            break
        case .appliedAtOnce, .promoted, .rolledBack, .aborted, .paused:
            entry.stepStarted = nil
        }
        let event = entry.status.record(
            transition, machine: machine.record, backends: entry.backends, weights: weights, generation: entry.generation, at: Date())
        if weights.count == entry.backends.count {
            entry.backends = zip(entry.backends, weights).map { backend, weight in
                var current = backend
                current.weight = weight
                return current
            }
        }
        entry.epoch += 1
        entry.probeDue = [:]
        entry.baseline = [:]
        entry.statusDirty = true
        entry.pendingEvents.append(event)
        tracked[key] = entry
        publishWeights(key)
        switch transition {
        case .rolledBack, .aborted:
            metrics.rollback(canary: name, reason: event.reason)
            logger.error("\(event.reason): \(event.message)", metadata: ["canary": "\(name)"])
        case .checkFailed:
            logger.warning("\(event.reason): \(event.message)", metadata: ["canary": "\(name)"])
        case .appliedAtOnce, .started, .advanced, .promoted, .paused, .resumed:
            logger.info("\(event.reason): \(event.message)", metadata: ["canary": "\(name)"])
        }
        return event
    }

    /// Writes the status and the Events not yet written. A Canary not in the cluster yet (the
    /// sync that carries it is still applying) keeps them for the next tick.
    func flush(_ key: Key) async {
        guard let entry = tracked[key] else { return }
        let reference = CanaryControl.reference(namespace: key.namespace, name: key.name)
        if entry.statusDirty {
            let status = entry.status
            do {
                let value = try Object(encoding: status).value
                let patch = Self.mergePatch(from: entry.written, to: value)
                _ = try await cluster.patchStatus(reference, status: patch, fieldManager: configuration.fieldManager)
                tracked[key]?.written = value
                if tracked[key]?.status == status { tracked[key]?.statusDirty = false }
            } catch let error as APIError where error.code == 404 {
                // Not applied yet: written on a later tick.
            } catch {
                logger.warning("cannot write the status of \(key): \(error)")
            }
        }
        let events = tracked[key]?.pendingEvents ?? []
        guard !events.isEmpty else { return }
        tracked[key]?.pendingEvents = []
        for (index, event) in events.enumerated() {
            let record = EventRecord(
                involved: reference, involvedUID: tracked[key]?.uid, type: event.type.rawValue, reason: event.reason,
                message: event.message, component: "sluice-canary")
            do {
                try await cluster.createEvent(record, fieldManager: configuration.fieldManager)
            } catch {
                // 404: the Canary's namespace is created by the sync under way; kept for the next tick.
                if (error as? APIError)?.code != 404 { logger.warning("cannot record Event \(event.reason) on \(key): \(error)") }
                tracked[key]?.pendingEvents.insert(contentsOf: events[index...], at: 0)
                return
            }
        }
    }

    /// A JSON merge patch turning `old` into `new`: members `new` lacks are set to null, since a
    /// merge patch otherwise keeps them (a promoted Canary has no `step`).
    static func mergePatch(from old: JSONValue?, to new: JSONValue) -> JSONValue {
        guard case .object(let before)? = old, case .object(var after) = new else { return new }
        for (name, value) in before {
            if let replacement = after[name] {
                if case .object = value, case .object = replacement { after[name] = mergePatch(from: value, to: replacement) }
            } else {
                after[name] = .null
            }
        }
        return .object(after)
    }

    /// `sluice_canary_weight` and `sluice_canary_phase` for one Canary.
    func publishWeights(_ key: Key) {
        guard let entry = tracked[key] else { return }
        let name = "\(key.namespace)/\(key.name)"
        for backend in entry.backends { metrics.weight(canary: name, backend: backend.name, backend.weight) }
        if let phase = machines[key]?.phase { metrics.phase(canary: name, phase) }
    }
}
