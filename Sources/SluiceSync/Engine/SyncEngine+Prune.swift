import SluiceKube
import SluiceModel

extension SyncEngine {
    func inventoryReference(_ target: SyncTarget) -> ObjectReference {
        ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: target.inventoryNamespace, name: Inventory.configMapName(for: target.name))
    }

    /// The target's inventory as stored in the cluster, or nil before its first sync.
    public func readInventory(_ target: SyncTarget) async throws(SyncError) -> Inventory? {
        let reference = inventoryReference(target)
        let stored: Object?
        do {
            stored = try await liveObject(reference)
        } catch {
            throw .prune(object: reference, underlying: error)
        }
        guard let stored else { return nil }
        do {
            return try Inventory(configMap: stored)
        } catch {
            throw .prune(object: reference, underlying: error)
        }
    }

    func writeInventory(_ inventory: Inventory, target: SyncTarget) async throws(SyncError) {
        let configMap = inventory.configMap(namespace: target.inventoryNamespace)
        do {
            _ = try await cluster.serverSideApply(configMap, options: ApplyOptions(fieldManager: configuration.fieldManager, force: true))
        } catch let error as APIError where error.code == 404 {
            // The agent's namespace does not exist yet (a fresh cluster): create it, then retry.
            let namespace = Object(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(target.inventoryNamespace)]])
            do {
                _ = try await cluster.serverSideApply(namespace, options: ApplyOptions(fieldManager: configuration.fieldManager, force: true))
                _ = try await cluster.serverSideApply(configMap, options: ApplyOptions(fieldManager: configuration.fieldManager, force: true))
            } catch {
                throw .prune(object: configMap.reference, underlying: error)
            }
        } catch {
            throw .prune(object: configMap.reference, underlying: error)
        }
    }

    /// Deletes what left Git, keeping objects annotated `sluice.dev/prune: disabled`.
    func prune(_ stale: [Inventory.Entry]) async throws(SyncError) -> ChangeSet {
        var changes = ChangeSet()
        for entry in stale {
            let reference = entry.reference
            do {
                guard let live = try await liveObject(reference) else { continue }
                if live.annotations[SyncAnnotation.prune] == "disabled" {
                    changes.append(reference, .skipped, reason: "prune disabled by annotation \(SyncAnnotation.prune)")
                    continue
                }
                try await cluster.delete(reference, options: DeleteOptions(propagationPolicy: .background))
                changes.append(reference, .deleted)
            } catch let error as APIError where error.code == 404 {
                continue
            } catch {
                throw .prune(object: reference, underlying: error)
            }
        }
        return changes
    }
}
