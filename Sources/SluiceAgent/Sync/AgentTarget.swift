import SluiceSync

/// One overlay the agent keeps in sync: from `sluice.yaml`, or from the command line when the
/// repository has none.
public struct AgentTarget: Sendable, Hashable {
    /// The kustomization directory inside the repository.
    public var path: String
    public var sync: SyncTarget
    public var driftMode: DriftMode
    public var ignore: [DriftIgnoreRule]
    /// Whether Canary objects of this target drive rollouts.
    public var canaries: Bool

    public init(path: String, sync: SyncTarget, driftMode: DriftMode = .correct, ignore: [DriftIgnoreRule] = [], canaries: Bool = true) {
        self.path = path
        self.sync = sync
        self.driftMode = driftMode
        self.ignore = ignore
        self.canaries = canaries
    }

    public var name: String { sync.name }

    /// The targets a `sluice.yaml` found at `root` of the repository lists (paths made relative to
    /// the repository).
    public static func targets(of layout: RepositoryLayout, root: String, inventoryNamespace: String) -> [AgentTarget] {
        layout.targets.map { target in
            AgentTarget(
                path: root.isEmpty ? target.path : root + "/" + target.path,
                sync: SyncTarget(
                    name: target.name, namespace: target.namespace, prune: target.prune, allowEmpty: target.allowEmpty,
                    inventoryNamespace: inventoryNamespace),
                driftMode: target.driftMode, ignore: target.ignore, canaries: target.canaries)
        }
    }
}
