import SluiceModel

/// How a live object differs from what Sluice would apply: the fields, old → new, and who
/// changed them.
///
/// `expected` is the server-side dry run of Sluice's apply, not the manifest: it holds the API
/// server's defaults and every field other managers own, so only fields Sluice's apply would
/// change show up, and a status write (a subresource Sluice never applies) never does.
public struct DriftReport: Sendable, Hashable {
    public var object: ObjectReference
    /// Each field as the live object has it now (`old` is what Sluice applied, `new` the live value).
    public var changes: [FieldChange]
    /// The managers other than Sluice that wrote the object last, newest first (from
    /// `metadata.managedFields`).
    public var changedBy: [String]
    /// The object is gone from the cluster.
    public var deleted: Bool

    public init(object: ObjectReference, changes: [FieldChange], changedBy: [String], deleted: Bool = false) {
        self.object = object
        self.changes = changes
        self.changedBy = changedBy
        self.deleted = deleted
    }

    /// The Event message: `HTTPRoute demo/shop drifted (changed by kubectl-edit): spec...: 90 → 50`.
    public var message: String {
        let who = changedBy.isEmpty ? "" : " (changed by \(changedBy.joined(separator: ", ")))"
        if deleted { return "\(object) was deleted\(who)" }
        return "\(object) drifted\(who): " + changes.map(\.description).joined(separator: "; ")
    }

    /// Fields no desired state speaks for: identity, bookkeeping and status.
    static let bookkeeping: [FieldPath] = [
        "metadata.managedFields", "metadata.resourceVersion", "metadata.generation", "metadata.uid",
        "metadata.creationTimestamp", "metadata.selfLink", "metadata.deletionTimestamp",
        "metadata.deletionGracePeriodSeconds", "status",
    ].map { FieldPath(parsing: $0) }

    /// Compares the dry run of Sluice's apply with the live object; nil when they agree (no drift).
    public static func compare(
        expected: Object, live: Object?, fieldManager: String = "sluice", ignore: [DriftIgnoreRule] = []
    ) -> DriftReport? {
        guard let live else {
            return DriftReport(object: expected.reference, changes: [], changedBy: [], deleted: true)
        }
        let rules = ignore.filter { $0.matches(expected.reference) }
        let changes = FieldChange.changes(from: expected.value, to: live.value).filter { change in
            !bookkeeping.contains { change.path.components.starts(with: $0.components) }
                && !rules.contains { $0.covers(change.path) }
        }
        guard !changes.isEmpty else { return nil }
        return DriftReport(object: expected.reference, changes: changes.map { $0.redacted(for: expected) }, changedBy: otherManagers(of: live, excluding: fieldManager))
    }

    /// Managers other than `excluding`, latest write first (entries without a time last).
    static func otherManagers(of object: Object, excluding manager: String) -> [String] {
        let entries = object[FieldPath(parsing: "metadata.managedFields")]?.arrayValue ?? []
        let others = entries.compactMap { entry -> (name: String, time: String)? in
            guard let name = entry["manager"]?.stringValue, name != manager, entry["subresource"] == nil else { return nil }
            return (name, entry["time"]?.stringValue ?? "")
        }
        var seen: Set<String> = []
        return others.sorted { $0.time > $1.time }.map(\.name).filter { seen.insert($0).inserted }
    }
}
