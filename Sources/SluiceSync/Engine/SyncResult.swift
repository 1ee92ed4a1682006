import SluiceModel

/// What one sync did.
public struct SyncResult: Sendable {
    public var revision: String
    public var changes: ChangeSet
    /// The objects as applied: namespaces filled in, any canary overlay on them. What the drift
    /// detector compares the cluster with.
    public var objects: [Object]
    /// How long each stage took, in order.
    public var stageDurations: [(stage: String, duration: Duration)]

    public init(revision: String, changes: ChangeSet, objects: [Object] = [], stageDurations: [(stage: String, duration: Duration)]) {
        self.revision = revision
        self.changes = changes
        self.objects = objects
        self.stageDurations = stageDurations
    }
}
