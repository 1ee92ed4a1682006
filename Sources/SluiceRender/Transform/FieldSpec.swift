import OrderedCollections
import SluiceModel

/// A place in objects of some kinds where a transformer writes (kustomize's fieldSpec):
/// slash-separated keys, `[]` marking a list whose every item is walked.
struct FieldSpec: Sendable {
    var group: String?
    var kind: String?
    var path: [Substring]
    var create: Bool

    init(_ path: String, kind: String? = nil, group: String? = nil, create: Bool = false) {
        self.group = group
        self.kind = kind
        self.path = path.split(separator: "/")
        self.create = create
    }

    func applies(to object: Object) -> Bool {
        if let kind, kind != object.kind { return false }
        if let group, group != object.group { return false }
        return true
    }

    /// Calls `body` with the value at this path in `object` (created as an empty map when
    /// missing and `create` is set).
    func update(_ object: inout Object, _ body: (inout JSONValue) throws(RenderError) -> Void) throws(RenderError) {
        guard applies(to: object) else { return }
        // Taken out of the object, so that the members are changed in place rather than copied
        // (a render that fails here stops as a whole: the object is not used again).
        var root = JSONValue.object(object.content)
        object.content = JSONObject()
        defer { if case .object(let members) = root { object.content = members } }
        try Self.walk(&root, path[...], create: create, body)
    }

    private static func walk(
        _ value: inout JSONValue, _ path: ArraySlice<Substring>, create: Bool,
        _ body: (inout JSONValue) throws(RenderError) -> Void
    ) throws(RenderError) {
        guard let first = path.first else {
            try body(&value)
            return
        }
        let rest = path.dropFirst()
        let isList = first.hasSuffix("[]")
        let key = String(isList ? first.dropLast(2) : first)
        guard case .object(var members) = value else { return }
        // The members are taken out of `value` so that they are uniquely referenced while they
        // change (and put back on every way out).
        value = .null
        defer { value = .object(members) }
        if isList {
            guard case .array(var items) = members[key] ?? .null else { return }
            members[key] = .null
            defer { members[key] = .array(items) }
            for index in items.indices { try walk(&items[index], rest, create: create, body) }
            return
        }
        var child: JSONValue
        if let existing = members[key], !existing.isNull {
            child = existing
        } else {
            guard create else { return }
            child = .object([:])
        }
        // Take the child out first so it is uniquely referenced while it changes.
        members[key] = .null
        defer { members[key] = child }
        try walk(&child, rest, create: create, body)
    }
}

extension FieldSpec {
    /// Where kustomize puts common labels: every object's labels, then selectors and templates.
    static let labels: [FieldSpec] = [FieldSpec("metadata/labels", create: true)] + selectors + templateLabels

    static let selectors: [FieldSpec] = [
        FieldSpec("spec/selector", kind: "Service", group: "", create: true),
        FieldSpec("spec/selector", kind: "ReplicationController", group: "", create: true),
        FieldSpec("spec/selector/matchLabels", kind: "Deployment", create: true),
        FieldSpec("spec/selector/matchLabels", kind: "ReplicaSet", create: true),
        FieldSpec("spec/selector/matchLabels", kind: "DaemonSet", create: true),
        FieldSpec("spec/selector/matchLabels", kind: "StatefulSet", group: "apps", create: true),
        FieldSpec("spec/selector/matchLabels", kind: "Job", group: "batch"),
        FieldSpec("spec/jobTemplate/spec/selector/matchLabels", kind: "CronJob", group: "batch"),
        FieldSpec("spec/selector/matchLabels", kind: "PodDisruptionBudget", group: "policy"),
        FieldSpec("spec/podSelector/matchLabels", kind: "NetworkPolicy", group: "networking.k8s.io"),
        FieldSpec("spec/ingress[]/from[]/podSelector/matchLabels", kind: "NetworkPolicy", group: "networking.k8s.io"),
        FieldSpec("spec/egress[]/to[]/podSelector/matchLabels", kind: "NetworkPolicy", group: "networking.k8s.io"),
    ]

    static let templateLabels: [FieldSpec] = [
        FieldSpec("spec/template/metadata/labels", kind: "ReplicationController", group: "", create: true),
        FieldSpec("spec/template/metadata/labels", kind: "Deployment", create: true),
        FieldSpec("spec/template/metadata/labels", kind: "ReplicaSet", create: true),
        FieldSpec("spec/template/metadata/labels", kind: "DaemonSet", create: true),
        FieldSpec("spec/template/metadata/labels", kind: "StatefulSet", group: "apps", create: true),
        FieldSpec("spec/volumeClaimTemplates[]/metadata/labels", kind: "StatefulSet", group: "apps", create: true),
        FieldSpec("spec/template/metadata/labels", kind: "Job", group: "batch", create: true),
        FieldSpec("spec/jobTemplate/metadata/labels", kind: "CronJob", group: "batch", create: true),
        FieldSpec("spec/jobTemplate/spec/template/metadata/labels", kind: "CronJob", group: "batch", create: true),
    ]

    static let annotations: [FieldSpec] = [
        FieldSpec("metadata/annotations", create: true),
        FieldSpec("spec/template/metadata/annotations", kind: "ReplicationController", group: "", create: true),
        FieldSpec("spec/template/metadata/annotations", kind: "Deployment", create: true),
        FieldSpec("spec/template/metadata/annotations", kind: "ReplicaSet", create: true),
        FieldSpec("spec/template/metadata/annotations", kind: "DaemonSet", create: true),
        FieldSpec("spec/template/metadata/annotations", kind: "StatefulSet", group: "apps", create: true),
        FieldSpec("spec/template/metadata/annotations", kind: "Job", group: "batch", create: true),
        FieldSpec("spec/jobTemplate/metadata/annotations", kind: "CronJob", group: "batch", create: true),
        FieldSpec("spec/jobTemplate/spec/template/metadata/annotations", kind: "CronJob", group: "batch", create: true),
    ]

    /// Pod specs inside workload kinds: where images, and references to ConfigMaps and Secrets, live.
    static let podSpecPaths: [(kind: String?, path: String)] = [
        ("Pod", "spec"),
        ("Deployment", "spec/template/spec"),
        ("ReplicaSet", "spec/template/spec"),
        ("DaemonSet", "spec/template/spec"),
        ("StatefulSet", "spec/template/spec"),
        ("Job", "spec/template/spec"),
        ("ReplicationController", "spec/template/spec"),
        ("PodTemplate", "template/spec"),
        ("CronJob", "spec/jobTemplate/spec/template/spec"),
    ]
}
