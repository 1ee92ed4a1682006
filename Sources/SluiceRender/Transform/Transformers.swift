import OrderedCollections
import SluiceModel

/// The built-in transformers of one kustomization, in kustomize's order: strategic-merge
/// patches, patches, namespace, prefix and suffix, labels, annotations, JSON 6902 patches,
/// replicas, images, replacements.
struct Transformers {
    let builder: Builder
    let kustomization: Kustomization

    func run(on resources: inout [Resource]) throws(RenderError) {
        let patcher = Patcher(builder: builder, kustomization: kustomization)
        try patcher.strategicMergePatches(on: &resources)
        try patcher.patches(on: &resources)
        try namespace(on: &resources)
        try prefixAndSuffix(on: &resources)
        try labels(on: &resources)
        try annotations(on: &resources)
        try patcher.json6902Patches(on: &resources)
        try Replicas(kustomization: kustomization).run(on: &resources)
        try Images(kustomization: kustomization).run(on: &resources)
        try Replacements(kustomization: kustomization).run(on: &resources)
    }

    private func namespace(on resources: inout [Resource]) throws(RenderError) {
        guard let namespace = try kustomization.string("namespace"), !namespace.isEmpty else { return }
        for index in resources.indices {
            let kind = resources[index].kind
            if !ClusterScope.isClusterScoped(kind) { resources[index].setNamespace(namespace) }
            // Bindings (cluster-scoped ones too) to ServiceAccounts follow the accounts into the new namespace.
            if kind == "RoleBinding" || kind == "ClusterRoleBinding",
                case .array(var subjects) = resources[index].object.content["subjects"] ?? .null
            {
                for item in subjects.indices {
                    guard case .object(var subject) = subjects[item], subject["kind"]?.stringValue == "ServiceAccount" else { continue }
                    let current = subject["namespace"]?.stringValue
                    if current == nil || current == "default" || current == "" {
                        subject["namespace"] = .string(namespace)
                        subjects[item] = .object(subject)
                    }
                }
                resources[index].object.content["subjects"] = .array(subjects)
            }
        }
    }

    /// Kinds kustomize never prefixes: renaming them would break what refers to them by a fixed name.
    static let unprefixedKinds: Set<String> = ["Namespace", "CustomResourceDefinition", "APIService"]

    private func prefixAndSuffix(on resources: inout [Resource]) throws(RenderError) {
        let prefix = try kustomization.string("namePrefix") ?? ""
        let suffix = try kustomization.string("nameSuffix") ?? ""
        guard !prefix.isEmpty || !suffix.isEmpty else { return }
        for index in resources.indices where !Self.unprefixedKinds.contains(resources[index].kind) {
            resources[index].rename(prefix + resources[index].name + suffix)
        }
    }

    private func labels(on resources: inout [Resource]) throws(RenderError) {
        let common = try kustomization.stringMap("commonLabels")
        if !common.isEmpty { try Self.add(common, at: FieldSpec.labels, to: &resources) }
        for (index, entry) in try kustomization.list("labels").enumerated() {
            let location = kustomization.location(of: "labels", .index(index))
            guard let members = entry.objectValue else {
                throw RenderError("invalid Kustomization: labels[\(index)] must be a mapping", at: location)
            }
            for key in members.keys where !["pairs", "includeSelectors", "includeTemplates", "fields"].contains(key) {
                throw RenderError("invalid Kustomization: json: unknown field \"\(key)\"", at: location)
            }
            let pairs = try Kustomization.stringMap(members["pairs"] ?? .object([:]), what: "labels[\(index)].pairs", at: location)
            var specs: [FieldSpec]
            if members["includeSelectors"]?.boolValue == true {
                specs = FieldSpec.labels
            } else {
                specs = [FieldSpec("metadata/labels", create: true)]
                if members["includeTemplates"]?.boolValue == true { specs += FieldSpec.templateLabels }
            }
            for field in members["fields"]?.arrayValue ?? [] {
                guard let path = field["path"]?.stringValue else { continue }
                specs.append(FieldSpec(
                    path, kind: field["kind"]?.stringValue, group: field["group"]?.stringValue,
                    create: field["create"]?.boolValue ?? false))
            }
            try Self.add(pairs, at: specs, to: &resources)
        }
    }

    private func annotations(on resources: inout [Resource]) throws(RenderError) {
        let common = try kustomization.stringMap("commonAnnotations")
        if !common.isEmpty { try Self.add(common, at: FieldSpec.annotations, to: &resources) }
    }

    static func add(_ pairs: OrderedDictionary<String, String>, at specs: [FieldSpec], to resources: inout [Resource])
        throws(RenderError)
    {
        // The result depends only on the value it is added to: objects that had the same value
        // there (none, or one shared from a patch) share the one result, as the decoder shares
        // equal small mappings, rather than each holding a copy of the same labels.
        var last: [(input: JSONValue, output: JSONValue)?] = Array(repeating: nil, count: specs.count)
        for index in resources.indices {
            for (position, spec) in specs.enumerated() {
                try spec.update(&resources[index].object) { value throws(RenderError) in
                    if let previous = last[position], previous.input.isIdentical(to: value) {
                        value = previous.output
                        return
                    }
                    guard case .object(var members) = value else { return }
                    let input = value
                    // Out of `value` first, so the members grow in place rather than being copied.
                    value = .null
                    members.reserveCapacity(members.count + pairs.count)
                    for (key, text) in pairs { members[key] = .string(text) }
                    value = .object(members)
                    last[position] = (input, value)
                }
            }
        }
    }
}
