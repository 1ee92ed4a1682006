import Foundation
import Logging
import Metrics
import SluiceKube
import SluiceModel

extension DriftDetector {
    /// Compares one tracked object with its live state (nil: deleted) and acts on the answer.
    /// Checks of one object run one at a time, in the order their events came.
    func check(_ key: Key, live: Object?) async {
        guard owners[key] != nil else { return }
        while inFlight.contains(key) {
            try? await Task.sleep(for: .milliseconds(5))
            if Task.isCancelled { return }
        }
        inFlight.insert(key)
        defer { inFlight.remove(key) }
        guard let name = owners[key], let tracked = targets[name], let object = tracked.objects[key] else { return }
        let report: DriftReport?
        do {
            report = try await compare(object, live: live, tracked: tracked)
        } catch {
            logger.warning("drift: cannot check \(object.reference): \(error)")
            return
        }
        // State may have moved on while the cluster answered: act only for the same tracking.
        guard owners[key] == name, let current = targets[name], current.generation == tracked.generation else { return }
        checked.insert(key)
        if let report {
            await detected(report, key: key, object: object, live: live, tracked: current)
        } else {
            await resolved(key: key, object: object, tracked: current)
        }
    }

    /// The drift of `object`, or nil when the live object is what Sluice's apply would make it.
    func compare(_ object: Object, live: Object?, tracked: Tracked) async throws -> DriftReport? {
        guard let live else { return try await deletion(of: object, tracked: tracked) }
        var options = ApplyOptions(fieldManager: fieldManager, force: true)
        options.dryRun = true
        let expected = try await cluster.serverSideApply(object, options: options)
        guard var report = DriftReport.compare(expected: expected, live: live, fieldManager: fieldManager, ignore: tracked.ignore)
        else { return nil }
        // Fields Sluice still owns were written by Sluice: a sync of a newer revision that has
        // not reached `track` yet. Only fields another manager took are drift.
        let ownership = FieldOwnership(of: live, manager: fieldManager)
        report.changes = report.changes.filter { !ownership.owns($0.path, in: live.value) }
        return report.changes.isEmpty ? nil : report
    }

    /// A deletion is drift unless the agent pruned the object: after a short grace the object is
    /// still gone, still tracked, and the target's inventory still lists it.
    func deletion(of object: Object, tracked: Tracked) async throws -> DriftReport? {
        try await Task.sleep(for: deletionGrace)
        let key = Key(object.reference)
        guard owners[key] == tracked.target.name, targets[tracked.target.name]?.generation == tracked.generation else { return nil }
        do {
            _ = try await cluster.get(object.reference)
            return nil  // back already; its ADDED event is checked on its own
        } catch let error as APIError where error.code == 404 {}
        let inventory = ObjectReference(
            apiVersion: "v1", kind: "ConfigMap", namespace: tracked.target.inventoryNamespace,
            name: Inventory.configMapName(for: tracked.target.name))
        if let stored = try? await cluster.get(inventory), let entries = try? Inventory(configMap: stored).entries,
            !entries.contains(where: { $0.id == Inventory.Entry(object.reference).id })
        {
            return nil
        }
        return DriftReport(object: object.reference, changes: [], changedBy: [], deleted: true)
    }

    func detected(_ report: DriftReport, key: Key, object: Object, live: Object?, tracked: Tracked) async {
        let target = tracked.target.name
        let previous = drifted[target]?[key]
        // The same drift seen again (a status write, a resync of the watch) is reported once.
        if let previous, previous.report.changes == report.changes, previous.report.deleted == report.deleted { return }
        let now = Date()
        drifted[target, default: [:]][key] = Drifted(report: report, since: previous?.since ?? now)
        recordGauge(target)
        Counter(label: "sluice_drift_detected_total", dimensions: [("target", target), ("kind", object.kind)], factory: metrics).increment()
        let uid = live?.metadata["uid"]?.stringValue
        await emit(EventRecord(involved: object.reference, involvedUID: uid, type: "Warning", reason: Reason.detected, message: report.message, time: now))
        logger.warning(
            "drift detected: \(report.message)",
            metadata: ["target": "\(target)", "object": "\(object.reference)", "mode": "\(tracked.mode.rawValue)"])
        var bodies = [DriftAlerts.body(reason: Reason.detected, target: target, mode: tracked.mode, report: report, time: now)]
        if tracked.mode == .correct {
            do {
                let applied = try await cluster.serverSideApply(object, options: ApplyOptions(fieldManager: fieldManager, force: true))
                if drifted[target]?[key] != nil { drifted[target]?[key] = nil }
                recordGauge(target)
                let message = "\(object.reference) restored to the desired state (" + (report.deleted ? "recreated" : report.changes.map(\.path.description).joined(separator: ", ")) + ")"
                await emit(EventRecord(involved: object.reference, involvedUID: applied.metadata["uid"]?.stringValue, reason: Reason.corrected, message: message))
                logger.notice("drift corrected: \(message)", metadata: ["target": "\(target)", "object": "\(object.reference)"])
                bodies.append(DriftAlerts.body(reason: Reason.corrected, target: target, mode: tracked.mode, report: report, time: Date()))
            } catch {
                logger.error("drift: correcting \(object.reference) failed: \(error)", metadata: ["target": "\(target)"])
            }
        }
        await persist(target)
        for body in bodies { await alerts.post(body, logger: logger) }
    }

    func resolved(key: Key, object: Object, tracked: Tracked) async {
        let target = tracked.target.name
        guard let previous = drifted[target]?[key] else { return }
        drifted[target]?[key] = nil
        recordGauge(target)
        let message = "\(object.reference) matches the desired state again"
        await emit(EventRecord(involved: object.reference, reason: Reason.resolved, message: message))
        logger.notice("drift resolved: \(message)", metadata: ["target": "\(target)", "object": "\(object.reference)"])
        await persist(target)
        await alerts.post(DriftAlerts.body(reason: Reason.resolved, target: target, mode: tracked.mode, report: previous.report, time: Date()), logger: logger)
    }

    func recordGauge(_ target: String) {
        Gauge(label: "sluice_drifted_objects", dimensions: [("target", target)], factory: metrics).record(drifted[target]?.count ?? 0)
    }

    func emit(_ event: EventRecord) async {
        do {
            try await cluster.createEvent(event, fieldManager: fieldManager)
        } catch {
            logger.warning("drift: cannot record Event \(event.reason) on \(event.involved): \(error)")
        }
    }

    /// Writes the target's current drift to its ConfigMap, when it changed since the last write.
    func persist(_ target: String) async {
        guard let tracked = targets[target] else { return }
        let items = (drifted[target] ?? [:]).values.sorted { $0.report.object < $1.report.object }.map {
            DriftRecord.Item(report: $0.report, since: KubernetesTime.time($0.since), mode: tracked.mode)
        }
        let record = DriftRecord(target: target, items: items)
        guard persisted[target] != record else { return }
        persisted[target] = record
        do {
            _ = try await cluster.serverSideApply(
                record.configMap(namespace: tracked.target.inventoryNamespace), options: ApplyOptions(fieldManager: fieldManager, force: true))
        } catch {
            persisted[target] = nil
            logger.warning("drift: cannot write \(DriftRecord.configMapName(for: target)): \(error)")
        }
    }
}
