import ArgumentParser
import Foundation
import SluiceKube
import SluiceModel
import SluiceSync

extension Sluice {
    /// Lists the drift the agent's detector has recorded, from its `sluice-drift-<target>` ConfigMaps.
    struct Drift: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the drift the running agent has detected (objects changed by someone else).",
            discussion: """
                Reads the ConfigMaps sluice-drift-<target> (label sluice.dev/drift) the drift detector keeps up \
                to date, in one namespace (-n) or all of them. One line per drifted object: target, object, \
                since when, mode, and the fields old → new with who changed them.
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text, yaml, json
        }

        @OptionGroup var cluster: ClusterOptions

        @Option(name: .shortAndLong, help: "Namespace of the drift ConfigMaps (the agent's; default: all namespaces).")
        var namespace: String?

        @Option(name: .shortAndLong, help: "Output format: text, yaml or json.")
        var output: Format = .text

        func run() async throws {
            let kube = try cluster.connect()
            let records: [DriftRecord]
            do {
                let kind = try await kube.resourceKind(apiVersion: "v1", kind: "ConfigMap")
                let list = try await kube.list(kind, namespace: namespace, options: ListOptions(labelSelector: DriftRecord.label))
                records = list.items.compactMap(DriftRecord.init(configMap:)).sorted { $0.target < $1.target }
            } catch {
                try? await kube.shutdown()
                printError("error: \(error)")
                throw ExitCode(1)
            }
            try? await kube.shutdown()
            switch output {
            case .text:
                print(Self.table(records), terminator: "")
            case .yaml:
                print(try YAMLEncoder().encode(Self.document(records)), terminator: "")
            case .json:
                print(Self.document(records).jsonText(indent: 4))
            }
        }

        /// `{items: [{target, since, mode, object, deleted, changedBy, changes, message}]}`.
        static func document(_ records: [DriftRecord]) -> JSONValue {
            let items = records.flatMap { record in
                record.items.map { item -> JSONValue in
                    var members: [(String, JSONValue)] = [
                        ("target", .string(record.target)), ("since", .string(item.since)), ("mode", .string(item.mode.rawValue)),
                    ]
                    if case .object(let report) = item.report.json { members += report.map { ($0.key, $0.value) } }
                    return .object(.init(uniqueKeysWithValues: members))
                }
            }
            return ["items": .array(items)]
        }

        static func table(_ records: [DriftRecord]) -> String {
            let rows = records.flatMap { record in
                record.items.map { item in
                    let what = item.report.deleted ? "deleted" : item.report.changes.map(\.description).joined(separator: "; ")
                    let who = item.report.changedBy.isEmpty ? "" : " (by \(item.report.changedBy.joined(separator: ", ")))"
                    return [record.target, item.report.object.description, item.since, item.mode.rawValue, what + who]
                }
            }
            guard !rows.isEmpty else { return "no drift recorded\n" }
            let header = ["TARGET", "OBJECT", "SINCE", "MODE", "DRIFT"]
            let widths = (0..<4).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
            return ([header] + rows).map { row in
                (0..<4).map { row[$0].padding(toLength: widths[$0] + 3, withPad: " ", startingAt: 0) }.joined() + row[4] + "\n"
            }.joined()
        }
    }
}
