import SluiceKube
import SluiceModel

extension SyncEngine {
    /// Applies `objects` with at most `concurrency` in flight; results in input order.
    func applyAll(_ objects: [Object]) async throws(SyncError) -> [ChangeSet.Action] {
        let known = try await listedLiveObjects(objects)
        do {
            return try await withThrowingTaskGroup(of: (Int, ChangeSet.Action).self) { group in
                var results = [ChangeSet.Action?](repeating: nil, count: objects.count)
                var next = 0
                func launch() {
                    let index = next
                    let object = objects[index]
                    let live = known[Inventory.Entry(object.reference).id]
                    group.addTask { (index, try await self.apply(object, live: live)) }
                    next += 1
                }
                while next < min(configuration.concurrency, objects.count) { launch() }
                while let (index, action) = try await group.next() {
                    results[index] = action
                    if next < objects.count { launch() }
                }
                return results.map { $0! }
            }
        } catch let error as SyncError {
            throw error
        } catch {
            throw .cluster(stage: "apply", underlying: error)
        }
    }

    /// One object: dry-run first, and write only when the result differs from the live object
    /// (comparing the dry run, not the manifest, so the server's defaults never look like a change).
    ///
    /// `live` is what a list found for the object: `.some(nil)` absent, nil not looked up yet.
    func apply(_ object: Object, live listed: Object?? = nil) async throws(SyncError) -> ChangeSet.Action {
        let options = ApplyOptions(fieldManager: configuration.fieldManager, force: true)
        var dryRun = options
        dryRun.dryRun = true
        do {
            let live: Object?
            if let listed { live = listed } else { live = try await liveObject(object.reference) }
            do {
                if let live {
                    let expected = try await cluster.serverSideApply(object, options: dryRun)
                    if DriftReport.compare(expected: expected, live: live, fieldManager: configuration.fieldManager) == nil {
                        return .unchanged
                    }
                }
                _ = try await cluster.serverSideApply(object, options: options)
            } catch let error as APIError where Self.isImmutableFieldError(error) {
                // Refused by the dry run or by the apply itself: only a new object can carry it.
                guard object.annotations[SyncAnnotation.force] == "enabled" else {
                    throw SyncError.immutableField(object: object.reference, underlying: error)
                }
                try await recreate(object, options: options)
            }
            return live == nil ? .created : .configured
        } catch let error as SyncError {
            throw error
        } catch let error as APIError {
            throw .apply(object: object.reference, underlying: error)
        } catch {
            throw .cluster(stage: "apply", underlying: error)
        }
    }

    /// The live objects of `objects`, by `Inventory.Entry.id`, read with one list per kind and
    /// namespace where a stage has many objects of it: an unchanged re-sync of 1,000 routes then
    /// costs one list and 1,000 dry runs instead of 1,000 gets more. Objects of smaller groups are
    /// left out (and read one by one); an object absent from its list maps to nil.
    func listedLiveObjects(_ objects: [Object]) async throws(SyncError) -> [String: Object?] {
        var groups: [String: [Object]] = [:]
        for object in objects { groups["\(object.apiVersion) \(object.kind) \(object.namespace ?? "")", default: []].append(object) }
        var found: [String: Object?] = [:]
        for members in groups.values where members.count >= 16 {
            let first = members[0]
            do {
                let kind = try await cluster.resourceKind(apiVersion: first.apiVersion, kind: first.kind)
                var byID: [String: Object] = [:]
                var token = ""
                repeat {
                    let page = try await cluster.list(kind, namespace: kind.namespaced ? first.namespace : nil, options: ListOptions(limit: 500, continueToken: token.isEmpty ? nil : token))
                    for item in page.items { byID[Inventory.Entry(item.reference).id] = item }
                    token = page.continueToken
                } while !token.isEmpty
                for member in members {
                    let id = Inventory.Entry(member.reference).id
                    found[id] = .some(byID[id])
                }
            } catch {
                // Reading one by one still works (a kind whose CRD is not established yet, a list refused by RBAC).
                continue
            }
        }
        return found
    }

    /// The live object, or nil when it does not exist.
    func liveObject(_ reference: ObjectReference) async throws -> Object? {
        do {
            return try await cluster.get(reference)
        } catch let error as APIError where error.code == 404 {
            return nil
        }
    }

    /// Deletes the object (waiting until it is gone) and applies it anew.
    private func recreate(_ object: Object, options: ApplyOptions) async throws {
        try await cluster.delete(object.reference, options: DeleteOptions(propagationPolicy: .background))
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.establishTimeout
        while try await liveObject(object.reference) != nil {
            guard clock.now < deadline else { throw SyncError.notEstablished(object: object.reference, waited: configuration.establishTimeout) }
            try await Task.sleep(for: .milliseconds(50))
        }
        _ = try await cluster.serverSideApply(object, options: options)
    }

    /// A 422 about a field that cannot change after creation (Service clusterIP, selectors of
    /// Deployments, a Secret's immutable data...).
    static func isImmutableFieldError(_ error: APIError) -> Bool {
        guard error.code == 422 else { return false }
        let texts = [error.message] + (error.details?.causes.map(\.message) ?? [])
        return texts.contains { $0.contains("field is immutable") || $0.contains("may not change once set") || $0.contains("is immutable") }
    }

    /// Waits until every CRD in `objects` is Established and every Namespace Active.
    func waitUntilEstablished(_ objects: [Object]) async throws(SyncError) {
        let clock = ContinuousClock()
        for object in objects where object.kind == "CustomResourceDefinition" || object.kind == "Namespace" {
            let deadline = clock.now + configuration.establishTimeout
            while true {
                let live: Object?
                do {
                    live = try await liveObject(object.reference)
                } catch {
                    throw .cluster(stage: "apply", underlying: error)
                }
                if let live, Self.isEstablished(live) { break }
                guard clock.now < deadline else { throw .notEstablished(object: object.reference, waited: configuration.establishTimeout) }
                do { try await Task.sleep(for: .milliseconds(100)) } catch { throw .cluster(stage: "apply", underlying: error) }
            }
        }
    }

    static func isEstablished(_ object: Object) -> Bool {
        switch object.kind {
        case "Namespace":
            // A namespace without a phase yet is new, not terminating.
            let phase = object[FieldPath(parsing: "status.phase")]?.stringValue
            return phase == nil || phase == "Active"
        case "CustomResourceDefinition":
            let conditions = object[FieldPath(parsing: "status.conditions")]?.arrayValue ?? []
            return conditions.contains { $0["type"]?.stringValue == "Established" && $0["status"]?.stringValue == "True" }
        default:
            return true
        }
    }
}
