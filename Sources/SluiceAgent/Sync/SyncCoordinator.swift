import Foundation
import Logging
import Metrics
import SluiceCanary
import SluiceGit
import SluiceKube
import SluiceModel
import SluiceRender
import SluiceSync

/// Brings the cluster to the newest revision of the source, one revision at a time.
///
/// A revision is fetched, every target rendered and validated, and only then applied: a revision
/// that fails to render or validate applies nothing, is reported (log, Event, metric) and is not
/// retried until Git changes, while the last good revision stays in force. The canary's overlay
/// is laid on before each apply, and the drift detector is told what was applied.
public actor SyncCoordinator {
    /// Where the targets come from when the repository has no `sluice.yaml`.
    public struct Settings: Sendable {
        /// The directory of the repository holding `sluice.yaml` (the `--path` flag).
        public var root: String
        /// The one target synced when there is no `sluice.yaml` at `root`.
        public var fallbackTarget: AgentTarget
        public var inventoryNamespace: String

        public init(root: String, fallbackTarget: AgentTarget, inventoryNamespace: String = "sluice-system") {
            self.root = root
            self.fallbackTarget = fallbackTarget
            self.inventoryNamespace = inventoryNamespace
        }
    }

    /// How one reconciliation ended.
    public enum Outcome: Sendable {
        case applied(revision: String, results: [String: SyncResult])
        /// The revision was applied before and nothing asked for a new apply.
        case upToDate(revision: String)
        /// Nothing was applied; `stage` is fetch, layout, render, validate, plan, apply or prune.
        case failed(revision: String?, stage: String, problems: [String])
        /// Another replica leads; only the leader writes.
        case notLeader
    }

    /// What the agent knows of one target, for `/readyz`, logs and the CLI.
    public struct TargetStatus: Sendable, Hashable {
        public var name: String
        public var appliedRevision: String?
        public var lastError: String?
        public var lastChanges: String?
    }

    private let source: RevisionSource
    private let cluster: any Cluster
    private let engine: SyncEngine
    private let renderer: Renderer
    private let settings: Settings
    private let overlay: (any DesiredStateOverlay)?
    private let tracker: (any AppliedStateTracker)?
    private let isLeader: @Sendable () async -> Bool
    private let logger: Logger
    private let metrics: SyncMetrics

    /// The newest revision rendered and validated whole: what re-syncs (a canary step) apply.
    private var good: (revision: String, targets: [(AgentTarget, [Object])])?
    /// The newest revision tried, good or not, so a broken one is reported once.
    private var attempted: String?
    private var applied: String?
    private var applyPending = false
    private var fetchFailing = false
    private var statuses: [String: TargetStatus] = [:]
    /// The poll interval `sluice.yaml` asks for, if it names one.
    public private(set) var layoutInterval: Duration?

    public init(
        source: RevisionSource, cluster: any Cluster, engine: SyncEngine, renderer: Renderer = Renderer(), settings: Settings,
        overlay: (any DesiredStateOverlay)? = nil, tracker: (any AppliedStateTracker)? = nil,
        metrics: any MetricsFactory = MetricsSystem.factory, logger: Logger,
        isLeader: @escaping @Sendable () async -> Bool = { true }
    ) {
        self.source = source
        self.cluster = cluster
        self.engine = engine
        self.renderer = renderer
        self.settings = settings
        self.overlay = overlay
        self.tracker = tracker
        self.isLeader = isLeader
        self.logger = logger
        self.metrics = SyncMetrics(factory: metrics)
    }

    public var targetStatuses: [TargetStatus] { statuses.keys.sorted().compactMap { statuses[$0] } }

    /// The revision in force, if any was applied by this process.
    public var appliedRevision: String? { applied }

    /// Asks the next `reconcile` to apply even when the revision did not change (a canary step,
    /// a new leader taking over).
    public func requestApply() { applyPending = true }

    /// Fetches (when `fetch`), then applies the newest good revision if it is new or an apply was
    /// requested.
    public func reconcile(fetch: Bool = true) async -> Outcome {
        guard await isLeader() else { return .notLeader }
        if fetch || good == nil {
            let checkout: GitCache.Checkout
            do {
                checkout = try await source.checkout()
            } catch {
                metrics.failed(target: "*", stage: "fetch")
                logger.error("fetch failed; the last good revision stays in force", metadata: ["error": "\(error)"])
                if !fetchFailing {
                    // Once per outage, not at every retry: the Event says the source is gone
                    // and what keeps serving.
                    fetchFailing = true
                    let kept = applied.map { "revision \($0.prefix(12)) stays in force" } ?? "nothing was applied yet"
                    await recordEvent(reason: "FetchFailed", message: "cannot fetch \(source.remote.displayURL): \(error); \(kept)")
                }
                return .failed(revision: nil, stage: "fetch", problems: ["\(error)"])
            }
            if fetchFailing {
                fetchFailing = false
                logger.info("fetching \(source.remote.displayURL) works again")
            }
            let revision = checkout.revision.commit.id
            if revision != attempted {
                attempted = revision
                if case .failed(let stage, let problems) = prepare(checkout.snapshot, revision: revision) {
                    await report(revision: revision, stage: stage, problems: problems)
                    return .failed(revision: revision, stage: stage, problems: problems)
                }
            }
        }
        guard let good else { return .failed(revision: attempted, stage: "render", problems: ["no good revision yet"]) }
        if good.revision == applied && !applyPending { return .upToDate(revision: good.revision) }
        applyPending = false
        return await apply(good.revision, good.targets)
    }

    private enum Preparation {
        case ready
        case failed(stage: String, problems: [String])
    }

    /// Renders and validates every target of `snapshot`; only a revision that passes whole
    /// becomes the good one.
    private func prepare(_ snapshot: Snapshot, revision: String) -> Preparation {
        let targets: [AgentTarget]
        let layoutPath = settings.root.isEmpty ? RepositoryLayout.fileName : settings.root + "/" + RepositoryLayout.fileName
        if let data = snapshot.file(layoutPath) {
            do {
                let layout = try RepositoryLayout.parse(String(decoding: data, as: UTF8.self), file: layoutPath)
                targets = AgentTarget.targets(of: layout, root: settings.root, inventoryNamespace: settings.inventoryNamespace)
                layoutInterval = layout.interval.flatMap { try? GoDuration.parse($0) }
            } catch {
                return .failed(stage: "layout", problems: error.problems)
            }
        } else {
            targets = [settings.fallbackTarget]
        }
        var rendered: [(AgentTarget, [Object])] = []
        var problems: [String] = []
        var stage = "validate"
        for target in targets {
            do {
                let objects = try renderer.objects(snapshot, path: target.path)
                problems += engine.validationProblems(in: objects).map { "\(target.name): \($0)" }
                rendered.append((target, objects))
            } catch {
                stage = "render"
                problems.append("\(target.name): \(error)")
            }
        }
        guard problems.isEmpty else { return .failed(stage: stage, problems: problems) }
        good = (revision, rendered)
        return .ready
    }

    private func apply(_ revision: String, _ targets: [(AgentTarget, [Object])]) async -> Outcome {
        var results: [String: SyncResult] = [:]
        for (target, rendered) in targets {
            let objects = target.canaries ? await overlay?.overlay(rendered, revision: revision) ?? rendered : rendered
            let started = ContinuousClock.now
            do {
                let result = try await engine.sync(objects, revision: revision, target: target.sync)
                results[target.name] = result
                metrics.succeeded(target: target.name, changes: result.changes, seconds: started.duration(to: .now))
                statuses[target.name] = TargetStatus(name: target.name, appliedRevision: revision, lastError: nil, lastChanges: result.changes.summary)
                logger.info(
                    "synced \(target.name) at \(revision.prefix(12)): \(result.changes.summary)",
                    metadata: ["target": "\(target.name)", "revision": "\(revision)"])
                for entry in result.changes.entries where entry.action != .unchanged {
                    logger.info("\(entry)", metadata: ["target": "\(target.name)"])
                }
                await tracker?.track(target: target.sync, objects: result.objects, mode: target.driftMode, ignore: target.ignore)
            } catch {
                applyPending = true
                metrics.failed(target: target.name, stage: error.stage)
                await report(revision: revision, stage: error.stage, problems: ["\(target.name): \(error)"], target: target)
                return .failed(revision: revision, stage: error.stage, problems: ["\(error)"])
            }
        }
        applied = revision
        return .applied(revision: revision, results: results)
    }

    /// A revision that could not be applied: a log line per problem, a Warning Event on the
    /// target's inventory, the failure metric, and the target's status.
    private func report(revision: String, stage: String, problems: [String], target: AgentTarget? = nil) async {
        let names = target.map { [$0.name] } ?? (good?.targets.map(\.0.name) ?? [settings.fallbackTarget.name])
        // Before apply nothing of the revision reached the cluster; at apply, the targets before
        // this one did, and the whole revision is applied again at the next attempt.
        let outcome = target.map { "target \($0.name) is retried" }
            ?? "nothing of it was applied\(applied.map { ", \($0.prefix(12)) stays in force" } ?? "")"
        logger.error(
            "revision \(revision.prefix(12)) failed at \(stage); \(outcome)",
            metadata: ["revision": "\(revision)", "stage": "\(stage)"])
        for problem in problems { logger.error("  \(problem)") }
        if target == nil { metrics.failed(target: "*", stage: stage) }
        let message = "revision \(revision.prefix(12)) failed at \(stage): " + problems.joined(separator: "; ")
        let shown = message.utf8.count > 1024 ? String(message.prefix(1000)) + "..." : message
        for name in names { statuses[name, default: TargetStatus(name: name)].lastError = shown }
        await recordEvent(reason: "SyncFailed", message: message, targets: names)
    }

    /// A Warning Event on the inventory ConfigMap of each of `targets` (by default every known
    /// target): where `kubectl get events -n sluice-system` shows what went wrong.
    private func recordEvent(reason: String, message: String, targets: [String]? = nil) async {
        var message = message
        if message.utf8.count > 1024 { message = String(message.prefix(1000)) + "..." }
        let names = targets ?? (good?.targets.map(\.0.name) ?? [settings.fallbackTarget.name])
        for name in names {
            let inventory = ObjectReference(
                apiVersion: "v1", kind: "ConfigMap", namespace: settings.inventoryNamespace, name: Inventory.configMapName(for: name))
            do {
                try await cluster.createEvent(EventRecord(involved: inventory, type: "Warning", reason: reason, message: message))
            } catch {
                logger.warning("cannot record the \(reason) event: \(error)")
            }
        }
    }
}

extension SyncCoordinator.TargetStatus {
    init(name: String) {
        self.init(name: name, appliedRevision: nil, lastError: nil, lastChanges: nil)
    }
}
