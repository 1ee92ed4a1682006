import SluiceKube
import SluiceModel

/// How one object would change, as `sluice diff` prints it.
public struct ObjectDiff: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable {
        case create, configure, prune
    }

    public var object: ObjectReference
    public var action: Action
    /// A unified diff of the live object's YAML against the dry run's (bookkeeping fields left out).
    public var text: String

    public init(object: ObjectReference, action: Action, text: String) {
        self.object = object
        self.action = action
        self.text = text
    }
}

extension SyncEngine {
    /// What a sync of `objects` to `target` would change, object by object, writing nothing: a
    /// server-side dry run of each object against the live one, and the objects the inventory
    /// would prune as removals. Validation problems throw as `sync` does; unchanged objects are
    /// left out.
    public func diff(_ objects: [Object], target: SyncTarget) async throws(SyncError) -> [ObjectDiff] {
        let problems = validationProblems(in: objects)
        guard problems.isEmpty else { throw .validation(problems: problems) }
        var diffs: [ObjectDiff] = []
        var desired: [ObjectReference] = []
        for (_, members) in ApplyPlan(objects).stages {
            for object in try await withNamespaces(members, target: target) {
                desired.append(object.reference)
                if let diff = try await diff(object) { diffs.append(diff) }
            }
        }
        guard target.prune, let inventory = try await readInventory(target) else { return diffs }
        for entry in inventory.stale(comparedWith: desired) {
            let live: Object?
            do {
                live = try await liveObject(entry.reference)
            } catch {
                throw .prune(object: entry.reference, underlying: error)
            }
            guard let live, live.annotations[SyncAnnotation.prune] != "disabled" else { continue }
            let text = UnifiedDiff().diff(Self.yaml(live), "", oldLabel: Self.label("live", live.reference), newLabel: Self.label("merged", live.reference))
            diffs.append(ObjectDiff(object: entry.reference, action: .prune, text: text))
        }
        return diffs
    }

    private func diff(_ object: Object) async throws(SyncError) -> ObjectDiff? {
        var options = ApplyOptions(fieldManager: configuration.fieldManager, force: true)
        options.dryRun = true
        do {
            let live = try await liveObject(object.reference)
            let expected: Object
            do {
                expected = try await cluster.serverSideApply(object, options: options)
            } catch let error as APIError where error.code == 404 && live == nil {
                // Its namespace is created by the same revision: the manifest is what would be created.
                expected = object
            }
            if let live, DriftReport.compare(expected: expected, live: live, fieldManager: configuration.fieldManager) == nil { return nil }
            let text = UnifiedDiff().diff(
                live.map(Self.yaml) ?? "", Self.yaml(expected),
                oldLabel: Self.label("live", object.reference), newLabel: Self.label("merged", object.reference))
            return ObjectDiff(object: object.reference, action: live == nil ? .create : .configure, text: text)
        } catch let error as APIError {
            throw .apply(object: object.reference, underlying: error)
        } catch {
            throw .cluster(stage: "diff", underlying: error)
        }
    }

    /// `live/gateway.networking.k8s.io.v1.HTTPRoute.demo.shop`, as kubectl diff names its files.
    static func label(_ side: String, _ reference: ObjectReference) -> String {
        let version = reference.apiVersion.split(separator: "/").joined(separator: ".")
        return "\(side)/" + ([version, reference.kind, reference.namespace, reference.name].compactMap { $0 }.joined(separator: "."))
    }

    /// The object's YAML without the fields no manifest speaks for (managedFields, versions, uid...).
    static func yaml(_ object: Object) -> String {
        var value = object.value
        for path in DriftReport.bookkeeping where path.components.first == .key("metadata") {
            guard case .key(let key)? = path.components.last, case .object(var metadata)? = value["metadata"] else { continue }
            metadata[key] = nil
            if case .object(var members) = value {
                members["metadata"] = .object(metadata)
                value = .object(members)
            }
        }
        return (try? YAMLEncoder().encode(value)) ?? value.jsonText(indent: 2)
    }
}
