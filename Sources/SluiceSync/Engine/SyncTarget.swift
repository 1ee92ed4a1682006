/// What one sync applies to: a named set of objects with its own inventory and rules.
public struct SyncTarget: Sendable, Hashable {
    public var name: String
    /// The namespace for namespaced objects that name none.
    public var namespace: String?
    public var prune: Bool
    /// Whether a revision that renders nothing may prune everything the target applied.
    public var allowEmpty: Bool
    /// Where the inventory ConfigMap lives (the agent's own namespace).
    public var inventoryNamespace: String

    public init(name: String, namespace: String? = nil, prune: Bool = true, allowEmpty: Bool = false, inventoryNamespace: String = "sluice-system") {
        self.name = name
        self.namespace = namespace
        self.prune = prune
        self.allowEmpty = allowEmpty
        self.inventoryNamespace = inventoryNamespace
    }
}

/// Annotations users put on objects to steer the sync.
public enum SyncAnnotation {
    /// `disabled`: never prune this object, even when it leaves Git.
    public static let prune = "sluice.dev/prune"
    /// `enabled`: when a change to an immutable field is refused, delete and recreate the object.
    public static let force = "sluice.dev/force"
}
