import SluiceModel

/// kube-controller-manager's garbage collector, for the embedded cluster: what a real cluster
/// does after a DELETE answers.
///
/// - An owner deleted in the foreground (`foregroundDeletion` finalizer) has its dependents
///   deleted; once none with `blockOwnerDeletion` is left, the finalizer goes, and with the last
///   finalizer the owner.
/// - An owner deleted with `Orphan` (`orphan` finalizer) has its reference removed from each
///   dependent, then goes.
/// - An object whose owners are all gone is deleted (background propagation).
///
/// Owners are matched by uid, as the real collector does. A pass runs after the write that
/// queued it (the DELETE answers first, as from a real server) and repeats until nothing
/// changes, so chains of owners are collected in one go.
extension EmbeddedCluster {
    static let foregroundFinalizer = "foregroundDeletion"
    static let orphanFinalizer = "orphan"

    func queueGarbageCollection() {
        guard configuration.garbageCollector, !garbageCollectionQueued else { return }
        garbageCollectionQueued = true
        Task { await self.collectGarbage() }
    }

    /// One collection, until a pass changes nothing.
    func collectGarbage() async {
        garbageCollectionQueued = false
        var passes = 0
        while passes < 64, (try? collectionPass()) == true { passes += 1 }
        try? await durable()
    }

    /// Returns whether anything was written.
    private func collectionPass() throws(APIError) -> Bool {
        var changed = false
        var liveUIDs = Set<String>()
        var dependentsByOwner: [String: [ObjectStore.Key]] = [:]
        for (key, stored) in objects {
            if let uid = stored.value["metadata"]?["uid"]?.stringValue { liveUIDs.insert(uid) }
            for owner in Self.ownerUIDs(of: stored.value) { dependentsByOwner[owner, default: []].append(key) }
        }
        for key in objects.keys.sorted() {
            guard let live = objects[key]?.value else { continue }
            let owners = Self.ownerUIDs(of: live)
            if !owners.isEmpty, owners.allSatisfy({ !liveUIDs.contains($0) }), !Self.isDeleting(live) {
                if try collect(key, propagation: .background) { changed = true }
                continue
            }
            guard Self.isDeleting(live), let uid = live["metadata"]?["uid"]?.stringValue else { continue }
            let finalizers = live["metadata"]?["finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let dependents = (dependentsByOwner[uid] ?? []).filter { objects[$0] != nil }
            if finalizers.contains(Self.orphanFinalizer) {
                for dependent in dependents {
                    try removeOwnerReference(uid, from: dependent)
                }
                try removeFinalizer(Self.orphanFinalizer, from: key)
                changed = true
            } else if finalizers.contains(Self.foregroundFinalizer) {
                for dependent in dependents where !(objects[dependent].map { Self.isDeleting($0.value) } ?? true) {
                    if try collect(dependent, propagation: .foreground) { changed = true }
                }
                let blocking = dependents.contains { dependent in
                    guard let value = objects[dependent]?.value else { return false }
                    return Self.ownerReferences(of: value).contains {
                        $0["uid"]?.stringValue == uid && $0["blockOwnerDeletion"]?.boolValue == true
                    }
                }
                if !blocking {
                    try removeFinalizer(Self.foregroundFinalizer, from: key)
                    changed = true
                }
            }
        }
        return changed
    }

    /// Deletes `key`; false when its kind is no longer served (its CRD is gone), so nothing
    /// changed and the pass must not count it as a change (it would repeat for nothing).
    private func collect(_ key: ObjectStore.Key, propagation: DeleteOptions.Propagation) throws(APIError) -> Bool {
        guard let served = served(for: key) else { return false }
        _ = try delete(served, namespace: key.namespace, name: key.name, options: DeleteOptions(propagationPolicy: propagation))
        return true
    }

    private func removeOwnerReference(_ uid: String, from key: ObjectStore.Key) throws(APIError) {
        guard let live = objects[key]?.value else { return }
        let kept = Self.ownerReferences(of: live).filter { $0["uid"]?.stringValue != uid }
        try rewrite(key, live.replacing(["metadata", "ownerReferences"], with: kept.isEmpty ? nil : .array(kept)))
    }

    /// Removes a finalizer; the object goes with its last one.
    private func removeFinalizer(_ finalizer: String, from key: ObjectStore.Key) throws(APIError) {
        guard let live = objects[key]?.value else { return }
        let kept = (live["metadata"]?["finalizers"]?.arrayValue ?? []).filter { $0.stringValue != finalizer }
        let next = nextResourceVersion()
        if kept.isEmpty {
            let removed = live.replacing(["metadata", "finalizers"], with: nil)
                .replacing(["metadata", "resourceVersion"], with: .string(String(next)))
            try commitRemoval(key, lastState: removed, version: next)
        } else {
            try rewrite(key, live.replacing(["metadata", "finalizers"], with: .array(kept)), version: next)
        }
    }

    /// Stores a controller's change to `key` (as an update: a new resourceVersion, no new
    /// managedFields entry, as the collector's own patches leave them).
    private func rewrite(_ key: ObjectStore.Key, _ value: JSONValue, version: Int64? = nil) throws(APIError) {
        let version = version ?? nextResourceVersion()
        var updated = value.replacing(["metadata", "resourceVersion"], with: .string(String(version)))
        if let served = served(for: key) { updated = Self.canonical(updated, served) }
        try commit(key, updated, version: version, type: "MODIFIED")
    }

    private func served(for key: ObjectStore.Key) -> Served? {
        servedByPath.values.first { $0.entry.group == key.group && $0.entry.plural == key.resource }
    }

    static func isDeleting(_ value: JSONValue) -> Bool { value["metadata"]?["deletionTimestamp"] != nil }

    static func ownerReferences(of value: JSONValue) -> [JSONValue] {
        value["metadata"]?["ownerReferences"]?.arrayValue ?? []
    }

    static func ownerUIDs(of value: JSONValue) -> [String] {
        ownerReferences(of: value).compactMap { $0["uid"]?.stringValue }
    }
}
