import OrderedCollections
import SluiceModel

extension DriftReport {
    /// The report as the drift ConfigMap and the webhook carry it:
    /// `{"object": {apiVersion, kind, namespace, name}, "deleted", "changedBy", "changes": [{path, old, new}], "message"}`.
    /// An absent `old` or `new` is left out (a field added or removed).
    public var json: JSONValue {
        var object: JSONObject = [
            "apiVersion": .string(self.object.apiVersion), "kind": .string(self.object.kind),
        ]
        if let namespace = self.object.namespace { object["namespace"] = .string(namespace) }
        object["name"] = .string(self.object.name)
        let changes = changes.map { change -> JSONValue in
            var entry: JSONObject = ["path": .string(change.path.description)]
            if let old = change.old { entry["old"] = old }
            if let new = change.new { entry["new"] = new }
            return .object(entry)
        }
        return [
            "object": .object(object), "deleted": .bool(deleted), "changedBy": .array(changedBy.map { .string($0) }),
            "changes": .array(changes), "message": .string(message),
        ]
    }

    /// Reads a report back from `json`; nil when it is not one.
    public init?(json: JSONValue) {
        guard let object = json["object"], let apiVersion = object["apiVersion"]?.stringValue,
            let kind = object["kind"]?.stringValue, let name = object["name"]?.stringValue
        else { return nil }
        let reference = ObjectReference(apiVersion: apiVersion, kind: kind, namespace: object["namespace"]?.stringValue, name: name)
        let changes = (json["changes"]?.arrayValue ?? []).compactMap { entry -> FieldChange? in
            guard let path = entry["path"]?.stringValue else { return nil }
            return FieldChange(path: FieldPath(parsing: path), old: entry["old"], new: entry["new"])
        }
        self.init(
            object: reference, changes: changes, changedBy: (json["changedBy"]?.arrayValue ?? []).compactMap(\.stringValue),
            deleted: json["deleted"]?.boolValue ?? false)
    }
}

/// The drift of one target as the detector persists it, so a separate process (`sluice drift`)
/// can list it: a ConfigMap `sluice-drift-<target>` in the target's inventory namespace whose
/// `data["drift.json"]` is a JSON array of reports, each with the time it was first seen.
public struct DriftRecord: Sendable, Hashable {
    public struct Item: Sendable, Hashable {
        public var report: DriftReport
        /// When the detector first saw this drift (RFC 3339).
        public var since: String
        public var mode: DriftMode

        public init(report: DriftReport, since: String, mode: DriftMode) {
            self.report = report
            self.since = since
            self.mode = mode
        }
    }

    public var target: String
    public var items: [Item]

    public init(target: String, items: [Item]) {
        self.target = target
        self.items = items
    }

    /// The ConfigMap's name for `target`.
    public static func configMapName(for target: String) -> String { "sluice-drift-\(target)" }

    /// The label every drift ConfigMap carries, so `sluice drift` lists them by selector.
    public static let label = "sluice.dev/drift"

    /// The ConfigMap holding this record, in `namespace`.
    public func configMap(namespace: String) -> Object {
        let array = JSONValue.array(items.map { item in
            var entry = item.report.json
            if case .object(var members) = entry {
                members["since"] = .string(item.since)
                members["mode"] = .string(item.mode.rawValue)
                entry = .object(members)
            }
            return entry
        })
        return Object([
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": [
                "name": .string(Self.configMapName(for: target)), "namespace": .string(namespace),
                "labels": ["app.kubernetes.io/managed-by": "sluice", Self.label: .string(target)],
            ],
            "data": ["target": .string(target), "drift.json": .string(array.jsonText(indent: 2) + "\n")],
        ])
    }

    /// Reads a record back from its ConfigMap; nil when it holds none.
    public init?(configMap: Object) {
        guard let target = configMap[FieldPath(parsing: "data.target")]?.stringValue,
            let text = configMap.content["data"]?["drift.json"]?.stringValue,
            let document = try? YAMLDecoder().documents(text, file: "drift.json").first,
            let array = document.value.arrayValue
        else { return nil }
        self.target = target
        items = array.compactMap { entry in
            guard let report = DriftReport(json: entry) else { return nil }
            return Item(
                report: report, since: entry["since"]?.stringValue ?? "",
                mode: entry["mode"]?.stringValue.flatMap(DriftMode.init(rawValue:)) ?? .alert)
        }
    }
}
