import OrderedCollections
import SluiceModel

/// After prefixes, suffixes and hashes have renamed objects, references to them are renamed to
/// match: kustomize's name-reference rules for built-in kinds, and — unless kustomize
/// compatibility is asked for — Sluice's rules for Gateway API references.
struct NameReferences {
    /// A field that names an object of `target` kind.
    struct Rule {
        var target: String
        var targetGroup: String
        /// Kinds holding the field (nil: any kind).
        var referrers: Set<String>?
        /// The path to the field; `[]` walks every item of a list. `?kind=X` filters list items
        /// whose `kind` (default `defaultKind`) is X.
        var path: [String]
        /// For list items with a `kind` field: only items of this kind (absent means `target`).
        var itemKind: Bool = false
        /// The item's `namespace` field, when present, says where the target lives.
        var itemNamespace: Bool = false
        /// The group an item must name (absent group is `targetGroup`).
        var itemGroup: Bool = false
    }

    static let workloadKinds: Set<String> = [
        "Pod", "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "CronJob", "ReplicationController", "PodTemplate",
    ]

    static func podSpecRules(target: String, fields: [String]) -> [Rule] {
        var rules: [Rule] = []
        for (kind, spec) in FieldSpec.podSpecPaths {
            let base = spec.split(separator: "/").map(String.init)
            for field in fields {
                rules.append(Rule(target: target, targetGroup: "", referrers: [kind!], path: base + field.split(separator: "/").map(String.init)))
            }
        }
        return rules
    }

    static let builtIn: [Rule] = {
        var rules: [Rule] = []
        let containers = ["containers[]", "initContainers[]", "ephemeralContainers[]"]
        var configMapFields = ["volumes[]/configMap/name", "volumes[]/projected/sources[]/configMap/name"]
        var secretFields = ["volumes[]/secret/secretName", "volumes[]/projected/sources[]/secret/name", "imagePullSecrets[]/name"]
        for container in containers {
            configMapFields += ["\(container)/env[]/valueFrom/configMapKeyRef/name", "\(container)/envFrom[]/configMapRef/name"]
            secretFields += ["\(container)/env[]/valueFrom/secretKeyRef/name", "\(container)/envFrom[]/secretRef/name"]
        }
        rules += podSpecRules(target: "ConfigMap", fields: configMapFields)
        rules += podSpecRules(target: "Secret", fields: secretFields)
        rules += podSpecRules(target: "ServiceAccount", fields: ["serviceAccountName", "serviceAccount"])
        rules += podSpecRules(target: "PersistentVolumeClaim", fields: ["volumes[]/persistentVolumeClaim/claimName"])
        rules += podSpecRules(target: "PriorityClass", fields: ["priorityClassName"])
        rules += [
            Rule(target: "Secret", targetGroup: "", referrers: ["ServiceAccount"], path: ["imagePullSecrets[]", "name"]),
            Rule(target: "Secret", targetGroup: "", referrers: ["ServiceAccount"], path: ["secrets[]", "name"]),
            Rule(target: "Secret", targetGroup: "", referrers: ["Ingress"], path: ["spec", "tls[]", "secretName"]),
            Rule(target: "Service", targetGroup: "", referrers: ["Ingress"], path: ["spec", "rules[]", "http", "paths[]", "backend", "service", "name"]),
            Rule(target: "Service", targetGroup: "", referrers: ["Ingress"], path: ["spec", "defaultBackend", "service", "name"]),
            Rule(target: "Service", targetGroup: "", referrers: ["StatefulSet"], path: ["spec", "serviceName"]),
            Rule(target: "Service", targetGroup: "", referrers: ["APIService"], path: ["spec", "service", "name"]),
            Rule(target: "Deployment", targetGroup: "apps", referrers: ["HorizontalPodAutoscaler"], path: ["spec", "scaleTargetRef", "name"]),
            Rule(target: "StatefulSet", targetGroup: "apps", referrers: ["HorizontalPodAutoscaler"], path: ["spec", "scaleTargetRef", "name"]),
            Rule(target: "ServiceAccount", targetGroup: "", referrers: ["RoleBinding", "ClusterRoleBinding"], path: ["subjects[]", "name"], itemKind: true, itemNamespace: true),
            Rule(target: "Role", targetGroup: "rbac.authorization.k8s.io", referrers: ["RoleBinding"], path: ["roleRef", "name"], itemKind: true),
            Rule(target: "ClusterRole", targetGroup: "rbac.authorization.k8s.io", referrers: ["RoleBinding", "ClusterRoleBinding"], path: ["roleRef", "name"], itemKind: true),
            Rule(target: "PersistentVolume", targetGroup: "", referrers: ["PersistentVolumeClaim"], path: ["spec", "volumeName"]),
            Rule(target: "StorageClass", targetGroup: "storage.k8s.io", referrers: ["PersistentVolumeClaim", "PersistentVolume"], path: ["spec", "storageClassName"]),
        ]
        return rules
    }()

    /// Sluice's Gateway API rules (docs/rendering.md): parentRefs to Gateways and ListenerSets,
    /// a ListenerSet's parentRef to its Gateway, backendRefs and mirror backends to Services,
    /// certificateRefs to Secrets, ReferenceGrant `to` names.
    static let gatewayAPI: [Rule] = {
        let routes: Set<String> = ["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"]
        let gateway = "gateway.networking.k8s.io"
        var rules = [
            Rule(target: "Gateway", targetGroup: gateway, referrers: routes, path: ["spec", "parentRefs[]", "name"], itemKind: true, itemNamespace: true, itemGroup: true),
            Rule(target: "ListenerSet", targetGroup: gateway, referrers: routes, path: ["spec", "parentRefs[]", "name"], itemKind: true, itemNamespace: true, itemGroup: true),
            Rule(target: "Gateway", targetGroup: gateway, referrers: ["ListenerSet"], path: ["spec", "parentRef", "name"], itemKind: true, itemNamespace: true, itemGroup: true),
            Rule(target: "Service", targetGroup: "", referrers: routes, path: ["spec", "rules[]", "backendRefs[]", "name"], itemKind: true, itemNamespace: true, itemGroup: true),
            Rule(target: "Service", targetGroup: "", referrers: ["HTTPRoute", "GRPCRoute"], path: ["spec", "rules[]", "filters[]", "requestMirror", "backendRef", "name"], itemKind: true, itemNamespace: true, itemGroup: true),
            Rule(target: "Service", targetGroup: "", referrers: ["HTTPRoute"], path: ["spec", "rules[]", "backendRefs[]", "filters[]", "requestMirror", "backendRef", "name"], itemKind: true, itemNamespace: true, itemGroup: true),
            Rule(target: "Secret", targetGroup: "", referrers: ["Gateway", "ListenerSet"], path: ["spec", "listeners[]", "tls", "certificateRefs[]", "name"], itemKind: true, itemNamespace: true, itemGroup: true),
        ]
        for kind in ["Service", "Secret", "Gateway"] {
            rules.append(Rule(target: kind, targetGroup: kind == "Gateway" ? gateway : "", referrers: ["ReferenceGrant"], path: ["spec", "to[]", "name"], itemKind: true, itemGroup: true))
        }
        return rules
    }()

    let rules: [Rule]

    init(gatewayAPI: Bool) {
        rules = Self.builtIn + (gatewayAPI ? Self.gatewayAPI : [])
    }

    /// What resolving a reference needs to know of a renamed object.
    struct Candidate {
        var name: String
        var previousNames: [String]
        var group: String
        var namespaces: [String]
    }

    func run(on resources: inout [Resource]) {
        // Only rules some object can hold matter, and only renamed objects they can point at:
        // a large tree of kinds no rule reads (routes and Services, say) indexes nothing.
        // Built one by one: a Set made from the mapped array would reserve room for every
        // resource (a megabyte at 30,000) to hold a handful of kinds.
        var kinds: Set<String> = []
        for resource in resources { kinds.insert(resource.kind) }
        let rules = self.rules.filter { rule in rule.referrers.map { !$0.isDisjoint(with: kinds) } ?? true }
        let targets = Set(rules.map(\.target))
        guard !targets.isEmpty else { return }
        // Index the renamed targets by kind and by every name they have had.
        var renamed: [String: [String: [Candidate]]] = [:]
        for resource in resources where !resource.previous.isEmpty && targets.contains(resource.kind) {
            let candidate = Candidate(
                name: resource.name, previousNames: resource.previousNames, group: resource.group,
                namespaces: ([resource.object.namespace] + resource.previousNamespaces).map { resource.effectiveNamespace($0) })
            for name in Set(resource.allNames) { renamed[resource.kind, default: [:]][name, default: []].append(candidate) }
        }
        guard !renamed.isEmpty else { return }
        for index in resources.indices {
            let kind = resources[index].kind
            let namespace = resources[index].effectiveNamespace(resources[index].object.namespace)
            for rule in rules {
                if let referrers = rule.referrers, !referrers.contains(kind) { continue }
                guard let byName = renamed[rule.target] else { continue }
                var value = JSONValue.object(resources[index].object.content)
                let changed = walk(&value, path: rule.path[...], rule: rule, item: nil) { name, item in
                    guard let candidates = byName[name] else { return nil }
                    return resolve(name, item: item, rule: rule, referrerKind: kind, referrerNamespace: namespace, candidates: candidates)
                }
                if changed, case .object(let members) = value { resources[index].object.content = members }
            }
        }
    }

    /// The new name for a reference to `name`, or nil to leave it.
    private func resolve(
        _ name: String, item: JSONObject?, rule: Rule, referrerKind: String,
        referrerNamespace: String, candidates: [Candidate]
    ) -> String? {
        if rule.itemKind, let item {
            let kind = item["kind"]?.stringValue ?? defaultItemKind(rule)
            if kind != rule.target { return nil }
        }
        if rule.itemGroup, let item {
            let group = item["group"]?.stringValue ?? rule.targetGroup
            if group != rule.targetGroup { return nil }
        }
        var namespace = referrerNamespace
        if rule.itemNamespace, let item, let explicit = item["namespace"]?.stringValue, !explicit.isEmpty {
            namespace = explicit
        }
        let anyNamespace = ClusterScope.isClusterScoped(rule.target)
            || ClusterScope.isClusterScoped(referrerKind) && !rule.itemNamespace
        let matches = candidates.filter { candidate in
            candidate.group == rule.targetGroup && (anyNamespace || candidate.namespaces.contains(namespace))
        }
        let names = Set(matches.map(\.name))
        guard names.count == 1 else { return nil }
        return names.first
    }

    private func defaultItemKind(_ rule: Rule) -> String {
        switch rule.path.first {
        case "roleRef", "subjects[]": return ""
        default:
            // Gateway API: parentRefs default to Gateway (a ListenerSet is named by kind),
            // backendRefs to Service, certificateRefs to Secret.
            return Self.isParentReference(rule) ? "Gateway" : rule.target
        }
    }

    /// A route's `parentRefs` or a ListenerSet's `parentRef`: kind Gateway and the Gateway API
    /// group unless the reference says otherwise.
    private static func isParentReference(_ rule: Rule) -> Bool {
        rule.path.count > 1 && (rule.path[1] == "parentRefs[]" || rule.path[1] == "parentRef")
    }

    /// Walks `path`, calling `rename` on each string found; true when anything changed.
    private func walk(
        _ value: inout JSONValue, path: ArraySlice<String>, rule: Rule, item: JSONObject?,
        rename: (String, JSONObject?) -> String?
    ) -> Bool {
        guard let first = path.first else {
            guard let name = value.stringValue, let new = rename(name, item), new != name else { return false }
            value = .string(new)
            return true
        }
        guard case .object(var members) = value else { return false }
        let isList = first.hasSuffix("[]")
        let key = isList ? String(first.dropLast(2)) : first
        guard var child = members[key] else { return false }
        var changed = false
        if isList {
            guard case .array(var items) = child else { return false }
            for index in items.indices {
                let context = items[index].objectValue
                if walk(&items[index], path: path.dropFirst(), rule: rule, item: context, rename: rename) { changed = true }
            }
            child = .array(items)
        } else {
            // roleRef and similar: the mapping holding the name is the item.
            let context = path.count == 2 && rule.itemKind ? child.objectValue : item
            changed = walk(&child, path: path.dropFirst(), rule: rule, item: context, rename: rename)
        }
        guard changed else { return false }
        members[key] = child
        value = .object(members)
        return true
    }
}
