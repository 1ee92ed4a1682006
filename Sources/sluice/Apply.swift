import ArgumentParser
import Foundation
import SluiceModel
import SluiceSync

extension Sluice {
    /// One sync of one revision, as the agent does it on each commit: validate, plan, apply in
    /// stages with server-side apply (field manager sluice), prune through the target's inventory.
    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sync a revision once (a PATH or --repo/--ref/--path) and print the change set.",
            discussion: """
                Prints one line per object (`HTTPRoute/demo/shop configured`, as Flux does) and a summary. A \
                revision that fails to render or validate applies nothing. Exit codes: 0 applied, 1 a problem \
                (invalid input, a refused object), 2 usage error.
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text, yaml, json
        }

        @OptionGroup var revision: RevisionOptions
        @OptionGroup var cluster: ClusterOptions
        @OptionGroup var target: TargetOptions

        @Option(name: .shortAndLong, help: "Output format of the change set: text, yaml or json.")
        var output: Format = .text

        func run() async throws {
            let (objects, revisionName) = try loadRevision(revision.source(dataDir: cluster.dataDir))
            let kube = try cluster.connect()
            let result: SyncResult
            do {
                result = try await SyncEngine(cluster: kube).sync(objects, revision: revisionName, target: target.syncTarget)
            } catch {
                try? await kube.shutdown()
                throw reportSyncError(error)
            }
            try? await kube.shutdown()
            switch output {
            case .text:
                for entry in result.changes.entries { print(entry.description) }
                print("\(result.revision): \(result.changes.summary)")
            case .yaml:
                print(try YAMLEncoder().encode(Self.document(result)), terminator: "")
            case .json:
                print(Self.document(result).jsonText(indent: 4))
            }
        }

        /// `{revision, summary, changes: [{apiVersion, kind, namespace, name, action, reason}]}`.
        static func document(_ result: SyncResult) -> JSONValue {
            let changes = result.changes.entries.map { entry -> JSONValue in
                var members: [(String, JSONValue)] = [("apiVersion", .string(entry.object.apiVersion)), ("kind", .string(entry.object.kind))]
                if let namespace = entry.object.namespace { members.append(("namespace", .string(namespace))) }
                members += [("name", .string(entry.object.name)), ("action", .string(entry.action.rawValue))]
                if let reason = entry.reason { members.append(("reason", .string(reason))) }
                return .object(.init(uniqueKeysWithValues: members))
            }
            return ["revision": .string(result.revision), "summary": .string(result.changes.summary), "changes": .array(changes)]
        }
    }
}
