import SluiceCanary
import SluiceModel
import SluiceSync

/// `sluice.yaml` at a repository's root: which overlays Sluice syncs, and how.
///
/// One repository drives several environments: each target names an overlay directory, the
/// namespace its namespaced objects default to, whether drift is corrected or only reported,
/// pruning, and drift ignore rules. docs/repo-layout.md is the user's reference.
public struct RepositoryLayout: Sendable, Hashable, Codable {
    /// The file name Sluice looks for at the repository root.
    public static let fileName = "sluice.yaml"

    /// How often the repository is polled when no webhook arrives (a Go duration).
    public var interval: String?
    public var targets: [Target]

    public init(interval: String? = nil, targets: [Target]) {
        self.interval = interval
        self.targets = targets
    }

    /// One overlay synced as a unit, with its own inventory.
    public struct Target: Sendable, Hashable, Codable {
        public var name: String
        /// The kustomization directory, relative to the repository root.
        public var path: String
        /// The namespace for namespaced objects that name none.
        public var namespace: String?
        public var driftMode: DriftMode
        /// Whether objects that leave Git are deleted.
        public var prune: Bool
        /// Whether a revision that renders nothing may prune everything this target applied.
        public var allowEmpty: Bool
        /// Whether Canary objects this target renders drive rollouts.
        public var canaries: Bool
        /// Fields other controllers own, never reported as drift.
        public var ignore: [IgnoreRule]

        public init(
            name: String, path: String, namespace: String? = nil, driftMode: DriftMode = .correct, prune: Bool = true,
            allowEmpty: Bool = false, canaries: Bool = true, ignore: [IgnoreRule] = []
        ) {
            self.name = name
            self.path = path
            self.namespace = namespace
            self.driftMode = driftMode
            self.prune = prune
            self.allowEmpty = allowEmpty
            self.canaries = canaries
            self.ignore = ignore
        }
    }

    /// What the agent does when another manager changes a field Sluice owns.
    public typealias DriftMode = SluiceSync.DriftMode

    /// Fields other controllers own, never reported as drift.
    public typealias IgnoreRule = DriftIgnoreRule
}

/// `sluice.yaml` could not be used: one line per problem, each with the file and line.
public struct RepositoryLayoutError: Error, Sendable, Hashable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }

    public init(problems: [String]) { self.problems = problems }
}
