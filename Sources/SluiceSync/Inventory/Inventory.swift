import OrderedCollections
import SluiceModel

/// What one target applied, stored in the cluster so a restarted or second agent knows what it
/// may prune: a ConfigMap `sluice-inventory-<target>` with one entry per object, sorted.
///
/// An entry is `namespace_name_group_kind_version` (Flux's object id plus the version to delete
/// with): none of these may contain `_`, so the fields split back unambiguously; cluster-scoped
/// objects have an empty namespace, core kinds an empty group.
public struct Inventory: Sendable, Hashable {
    public struct Entry: Sendable, Hashable, Comparable, CustomStringConvertible {
        public var namespace: String?
        public var name: String
        public var group: String
        public var kind: String
        public var version: String

        public init(namespace: String?, name: String, group: String, kind: String, version: String) {
            self.namespace = namespace
            self.name = name
            self.group = group
            self.kind = kind
            self.version = version
        }

        public init(_ reference: ObjectReference) {
            let version = reference.apiVersion.split(separator: "/").last.map(String.init) ?? reference.apiVersion
            self.init(namespace: reference.namespace, name: reference.name, group: reference.group, kind: reference.kind, version: version)
        }

        /// The object's identity regardless of version: a new version of a kind is the same object.
        public var id: String { "\(namespace ?? "")_\(name)_\(group)_\(kind)" }

        public var description: String { "\(id)_\(version)" }

        public var reference: ObjectReference {
            ObjectReference(
                apiVersion: group.isEmpty ? version : "\(group)/\(version)", kind: kind, namespace: namespace, name: name)
        }

        init?(parsing text: Substring) {
            let fields = text.split(separator: "_", omittingEmptySubsequences: false)
            guard fields.count == 5, !fields[1].isEmpty, !fields[3].isEmpty, !fields[4].isEmpty else { return nil }
            self.init(
                namespace: fields[0].isEmpty ? nil : String(fields[0]), name: String(fields[1]), group: String(fields[2]),
                kind: String(fields[3]), version: String(fields[4]))
        }

        public static func < (lhs: Entry, rhs: Entry) -> Bool { lhs.description < rhs.description }
    }

    /// Why a stored inventory could not be read.
    public struct ReadError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public var target: String
    /// The revision that was applied last.
    public var revision: String?
    public var entries: [Entry]

    public init(target: String, revision: String?, objects: [ObjectReference]) {
        self.target = target
        self.revision = revision
        entries = Array(Set(objects.map(Entry.init))).sorted()
    }

    /// The ConfigMap's name for `target`.
    public static func configMapName(for target: String) -> String { "sluice-inventory-\(target)" }

    /// The ConfigMap holding this inventory, in `namespace` (the agent's own).
    public func configMap(namespace: String) -> Object {
        var data: JSONObject = [
            "entries": .string(entries.map { "\($0)\n" }.joined()),
            "target": .string(target),
        ]
        if let revision { data["revision"] = .string(revision) }
        return Object([
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": [
                "name": .string(Self.configMapName(for: target)),
                "namespace": .string(namespace),
                "labels": ["app.kubernetes.io/managed-by": "sluice", "sluice.dev/inventory": .string(target)],
            ],
            "data": .object(data),
        ])
    }

    /// Reads an inventory back from its ConfigMap.
    public init(configMap: Object) throws(ReadError) {
        guard configMap.kind == "ConfigMap", let target = configMap[FieldPath(parsing: "data.target")]?.stringValue else {
            throw ReadError(message: "\(configMap.reference): not a Sluice inventory (no data.target)")
        }
        self.target = target
        revision = configMap[FieldPath(parsing: "data.revision")]?.stringValue
        var entries: [Entry] = []
        let text = configMap[FieldPath(parsing: "data.entries")]?.stringValue ?? ""
        for (index, line) in text.split(separator: "\n").enumerated() {
            guard let entry = Entry(parsing: line) else {
                throw ReadError(message: "\(configMap.reference): data.entries line \(index + 1): \"\(line)\" is not namespace_name_group_kind_version")
            }
            entries.append(entry)
        }
        self.entries = entries.sorted()
    }

    /// Entries whose objects the desired revision no longer has, in reverse apply order (so
    /// routes go before the Gateways and Namespaces they sit in).
    public func stale(comparedWith desired: [ObjectReference]) -> [Entry] {
        let kept = Set(desired.map { Entry($0).id })
        return entries.filter { !kept.contains($0.id) }
            .sorted { lhs, rhs in
                let (left, right) = (ApplyPlan.Stage.of(lhs.reference), ApplyPlan.Stage.of(rhs.reference))
                return left != right ? left > right : lhs < rhs
            }
    }
}

/// Refuses to prune everything when a revision renders nothing, unless the target allows it:
/// an empty render is far more often a mistake (a wrong path, a deleted overlay) than a wish.
public struct EmptyRevisionGuard: Sendable {
    public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        public var target: String
        public var wouldDelete: Int

        public init(target: String, wouldDelete: Int) {
            self.target = target
            self.wouldDelete = wouldDelete
        }
        public var description: String {
            "target \(target): the revision renders no objects; refusing to prune the \(wouldDelete) objects it applied before "
                + "(set allowEmpty: true for this target in sluice.yaml to allow it)"
        }
    }

    public static func check(target: String, desired: [ObjectReference], inventory: Inventory?, allowEmpty: Bool) throws(Refusal) {
        guard desired.isEmpty, !allowEmpty, let inventory, !inventory.entries.isEmpty else { return }
        throw Refusal(target: target, wouldDelete: inventory.entries.count)
    }
}
