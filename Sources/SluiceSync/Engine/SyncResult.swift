/// What one sync did.
public struct SyncResult: Sendable {
    public var revision: String
    public var changes: ChangeSet
    /// How long each stage took, in order.
    public var stageDurations: [(stage: String, duration: Duration)]

    public init(revision: String, changes: ChangeSet, stageDurations: [(stage: String, duration: Duration)]) {
        self.revision = revision
        self.changes = changes
        self.stageDurations = stageDurations
    }
}
