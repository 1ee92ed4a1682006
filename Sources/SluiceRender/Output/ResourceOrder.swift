import SluiceModel

/// kustomize's output orders. `legacy` (the default) puts kinds in the order they can be
/// applied in — Namespaces first, webhooks last — then sorts by group, version and kind, and
/// within a kind by namespace (none last) and name. `fifo` keeps the order of the files.
enum ResourceOrder {
    static let first = [
        "Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition", "ServiceAccount", "PodSecurityPolicy",
        "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap", "Secret", "Endpoints", "Service",
        "LimitRange", "PriorityClass", "PersistentVolume", "PersistentVolumeClaim", "Deployment", "StatefulSet",
        "CronJob", "PodDisruptionBudget",
    ]
    static let last = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]

    static let rank: [String: Int] = {
        var rank: [String: Int] = [:]
        for (index, kind) in first.enumerated() { rank[kind] = index - first.count }
        for (index, kind) in last.enumerated() { rank[kind] = index + 1 }
        return rank
    }()

    struct Key {
        var rank: Int
        var gvk: String
        var namespace: String
        var name: String
    }

    static func key(_ object: Object, rank: [String: Int] = rank) -> Key {
        let group = object.group.isEmpty ? "~G" : object.group
        let version = object.version.isEmpty ? "~V" : object.version
        let namespace = object.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "~X"
        return Key(rank: rank[object.kind] ?? 0, gvk: "\(group)_\(version)_\(object.kind)", namespace: namespace, name: object.name)
    }

    /// The legacy order, with kustomize's kind lists or those of `legacySortOptions`.
    static func legacy(_ objects: [Object], first: [String]? = nil, last: [String]? = nil) -> [Object] {
        var ranks = rank
        if let first, let last {
            ranks = [:]
            for (index, kind) in first.enumerated() { ranks[kind] = index - first.count }
            for (index, kind) in last.enumerated() { ranks[kind] = index + 1 }
        }
        let keyed = objects.map { (key($0, rank: ranks), $0) }
        return keyed.sorted { lhs, rhs in
            if lhs.0.rank != rhs.0.rank { return lhs.0.rank < rhs.0.rank }
            if lhs.0.gvk != rhs.0.gvk { return bytes(lhs.0.gvk, rhs.0.gvk) }
            if lhs.0.namespace != rhs.0.namespace { return bytes(lhs.0.namespace, rhs.0.namespace) }
            return bytes(lhs.0.name, rhs.0.name)
        }.map(\.1)
    }

    private static func bytes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }
}
