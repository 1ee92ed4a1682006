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
        // Indices are sorted, not (key, object) pairs: a large rendering is not copied twice more.
        let keys = objects.map { key($0, rank: ranks) }
        let order = keys.indices.sorted { lhs, rhs in
            let (left, right) = (keys[lhs], keys[rhs])
            if left.rank != right.rank { return left.rank < right.rank }
            if left.gvk != right.gvk { return bytes(left.gvk, right.gvk) }
            if left.namespace != right.namespace { return bytes(left.namespace, right.namespace) }
            if !left.name.utf8.elementsEqual(right.name.utf8) { return bytes(left.name, right.name) }
            return lhs < rhs
        }
        return order.map { objects[$0] }
    }

    private static func bytes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }
}
