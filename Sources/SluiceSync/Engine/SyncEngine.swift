import SluiceKube
import SluiceModel

/// Brings the cluster to one revision: validate → plan → apply (in stages) → prune, each stage
/// named in its failure (Flux's kustomize-controller shape). A revision that fails validation
/// applies nothing; apply goes through server-side apply as field manager `sluice` with force.
public struct SyncEngine: Sendable {
    public struct Configuration: Sendable, Hashable {
        public var fieldManager: String
        /// How many objects of one stage are applied at once.
        public var concurrency: Int
        /// How long to wait for a CRD to be Established or a Namespace Active.
        public var establishTimeout: Duration

        public init(fieldManager: String = "sluice", concurrency: Int = 8, establishTimeout: Duration = .seconds(30)) {
            self.fieldManager = fieldManager
            self.concurrency = max(1, concurrency)
            self.establishTimeout = establishTimeout
        }
    }

    public let cluster: any Cluster
    public let configuration: Configuration
    /// The schemas a revision is checked against before anything is applied; CRDs in the
    /// revision itself are added to them.
    public let schemas: SchemaCatalog

    public init(cluster: any Cluster, schemas: SchemaCatalog = KindCatalog.builtInSchemas, configuration: Configuration = Configuration()) {
        self.cluster = cluster
        self.schemas = schemas
        self.configuration = configuration
    }

    /// Syncs `objects` (a rendered revision, with any canary overlay already on it) to `target`.
    public func sync(_ objects: [Object], revision: String, target: SyncTarget) async throws(SyncError) -> SyncResult {
        let clock = ContinuousClock()
        var durations: [(String, Duration)] = []
        var start = clock.now
        func lap(_ stage: String) {
            durations.append((stage, start.duration(to: clock.now)))
            start = clock.now
        }

        let problems = validationProblems(in: objects)
        guard problems.isEmpty else { throw .validation(problems: problems) }
        lap("validate")

        let inventory = try await readInventory(target)
        do {
            try EmptyRevisionGuard.check(target: target.name, desired: objects.map(\.reference), inventory: inventory, allowEmpty: target.allowEmpty)
        } catch {
            throw .emptyRevision(error)
        }
        let plan = ApplyPlan(objects)
        lap("plan")

        var changes = ChangeSet()
        var applied: [ObjectReference] = []
        var appliedObjects: [Object] = []
        for (stage, members) in plan.stages {
            let placed = try await withNamespaces(members, target: target)
            let results = try await applyAll(placed)
            for (object, action) in zip(placed, results) {
                changes.append(object.reference, action)
                applied.append(object.reference)
            }
            appliedObjects += placed
            if stage == .definitions { try await waitUntilEstablished(placed) }
        }
        lap("apply")

        let newInventory = Inventory(target: target.name, revision: revision, objects: applied)
        if target.prune, let inventory {
            changes.append(contentsOf: try await prune(inventory.stale(comparedWith: applied)))
        }
        try await writeInventory(newInventory, target: target)
        lap("prune")
        return SyncResult(revision: revision, changes: changes, objects: appliedObjects, stageDurations: durations)
    }

    /// Every problem the API server would refuse the revision for, one line each.
    public func validationProblems(in objects: [Object]) -> [String] {
        var catalog = schemas
        for crd in objects where crd.kind == "CustomResourceDefinition" { catalog.add(crd: crd) }
        var lines: [String] = []
        for (object, problems) in zip(objects, catalog.problems(in: objects)) {
            for problem in (problems ?? []).map({ $0.redacted(for: object) }) {
                let place = object.location(of: problem.field ?? .root).map { "\($0): " } ?? ""
                lines.append("\(place)\(object.reference): \(problem.fieldText): \(problem.body)")
            }
        }
        return lines
    }

    /// Namespaced objects that name no namespace get the target's (or `default`), as kubectl does.
    func withNamespaces(_ objects: [Object], target: SyncTarget) async throws(SyncError) -> [Object] {
        var placed: [Object] = []
        for var object in objects {
            if object.namespace == nil {
                let kind: ResourceKind
                do {
                    kind = try await cluster.resourceKind(apiVersion: object.apiVersion, kind: object.kind)
                } catch let error as APIError {
                    throw .apply(object: object.reference, underlying: error)
                } catch {
                    throw .cluster(stage: "apply", underlying: error)
                }
                if kind.namespaced, case .object(var metadata)? = object.content["metadata"] {
                    metadata["namespace"] = .string(target.namespace ?? "default")
                    object.content["metadata"] = .object(metadata)
                }
            }
            placed.append(object)
        }
        return placed
    }
}
