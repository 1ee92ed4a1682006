import ArgumentParser
import Foundation
import SluiceKube
import SluiceModel
import SluiceSync

extension Sluice {
    /// Desired against live, like `kubectl diff`: a server-side dry run of every object of a
    /// revision, compared with the live object as a unified diff of YAML.
    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what a sync of a revision would change (server-side dry run against the live objects).",
            discussion: """
                Renders and validates the revision as `sluice apply` would, then prints a unified diff of each \
                object's live YAML against the result of a server-side dry run of its apply (field manager sluice, \
                bookkeeping fields such as managedFields and resourceVersion left out). Objects the target's \
                inventory would prune appear as removals. Nothing is written. Exit codes: 0 no difference, \
                1 a difference (or invalid input, named by file and field), 2 usage error.
                """)

        @OptionGroup var revision: RevisionOptions
        @OptionGroup var cluster: ClusterOptions
        @OptionGroup var target: TargetOptions

        func run() async throws {
            let (objects, _) = try loadRevision(revision.source(dataDir: cluster.dataDir))
            let kube = try cluster.connect()
            let diffs: [ObjectDiff]
            do {
                diffs = try await SyncEngine(cluster: kube).diff(objects, target: target.syncTarget)
            } catch {
                try? await kube.shutdown()
                throw reportSyncError(error)
            }
            try? await kube.shutdown()
            for diff in diffs { print(diff.text, terminator: "") }
            if !diffs.isEmpty { throw ExitCode(1) }
        }
    }
}

/// The target flags of `diff` and `apply`.
struct TargetOptions: ParsableArguments {
    @Option(name: .long, help: "The sync target (its inventory, sluice-inventory-<target>, decides what is pruned).")
    var target: String = "default"

    @Option(name: .long, help: "Namespace for namespaced objects that name none (default: default).")
    var namespace: String?

    @Option(name: .long, help: "Namespace of the inventory ConfigMap (the agent's own).")
    var inventoryNamespace: String = "sluice-system"

    @Flag(inversion: .prefixedNo, help: "Prune (or, for diff, show as removals) what the target applied before and the revision no longer has.")
    var prune = true

    var syncTarget: SyncTarget {
        SyncTarget(name: target, namespace: namespace, prune: prune, inventoryNamespace: inventoryNamespace)
    }
}

/// The revision's objects; an unreadable revision is printed (with its file and line) and exits 1.
func loadRevision(_ source: RevisionSource) throws -> (objects: [Object], revision: String) {
    do {
        return try source.objects()
    } catch let error as ValidationError {
        throw error
    } catch {
        printError("error: \(error)")
        throw ExitCode(1)
    }
}

/// Prints a failed sync (validation problems one per line, naming file, object and field) and
/// returns the exit code 1.
func reportSyncError(_ error: SyncError) -> ExitCode {
    printError("error: \(error)")
    return ExitCode(1)
}
