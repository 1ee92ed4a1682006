import ArgumentParser
import Foundation
import SluiceCanary
import SluiceModel
import SluiceRender

extension Sluice {
    /// Offline validation of manifests against CRD schemas, with the API server's messages.
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate YAML manifests against CustomResourceDefinition schemas, offline.",
            discussion: """
                Prints one line per problem (file:line: Kind namespace/name: field: message) and exits 1 \
                when there is any. A directory holding a kustomization.yaml is rendered first (as \
                `sluice render` does); problems then name the source file each object came from. Schemas: Sluice's \
                built-in kinds (the Gateway API's GatewayClass, Gateway, HTTPRoute, GRPCRoute, ReferenceGrant; \
                Namespace, Service, EndpointSlice, Secret, ConfigMap, Event, Lease; Sluice's own Canary), then \
                --crds, then CRDs found among the manifests; later ones replace earlier ones for the same kind and version.
                """)

        @Option(name: .long, help: "A directory (or file) of CustomResourceDefinitions to validate against.")
        var crds: [String] = []

        @Argument(help: "A YAML file, a directory of them, or a kustomization directory.")
        var path: String

        func run() throws {
            var catalog = KindCatalog.builtInSchemas
            catalog.add(crd: CanarySpec.customResourceDefinition)
            for source in crds {
                for (_, objects) in try load(source) {
                    for crd in objects where crd.kind == "CustomResourceDefinition" { catalog.add(crd: crd) }
                }
            }
            let manifests = try load(path)
            for (_, objects) in manifests {
                for crd in objects where crd.kind == "CustomResourceDefinition" { catalog.add(crd: crd) }
            }
            var problemCount = 0
            var unchecked: [String] = []
            var checked = 0
            for (_, objects) in manifests {
                for object in objects where object.kind != "CustomResourceDefinition" {
                    guard let problems = catalog.problems(in: object) else {
                        unchecked.append("\(object.apiVersion) \(object.kind)")
                        continue
                    }
                    checked += 1
                    for problem in problems.map({ $0.redacted(for: object) }) {
                        problemCount += 1
                        let place = object.location(of: problem.field ?? .root).map { "\($0): " } ?? ""
                        print("\(place)\(object.reference): \(problem.fieldText): \(problem.body)")
                    }
                }
            }
            if !unchecked.isEmpty {
                let kinds = Set(unchecked).sorted().joined(separator: ", ")
                printError("note: \(unchecked.count) object(s) not checked, no schema for: \(kinds)")
            }
            printError("\(checked) object(s) checked, \(problemCount) problem(s)")
            if problemCount > 0 { throw ExitCode(1) }
        }

        /// Every YAML/JSON file under `path` (or `path` itself), parsed, in path order.
        private func load(_ path: String) throws -> [(String, [Object])] {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ValidationError("\(path): no such file or directory")
            }
            if isDirectory.boolValue, Renderer.kustomizationFileNames.contains(where: {
                FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent($0))
            }) {
                let (tree, relative) = DiskTree.enclosing(path)
                do {
                    // Positions are relative to the tree's root; messages name files as the user reaches them.
                    let current = FileManager.default.currentDirectoryPath
                    let prefix = tree.root.hasPrefix(current + "/") ? String(tree.root.dropFirst(current.count + 1)) + "/"
                        : tree.root == current ? "" : tree.root + "/"
                    let objects = try Renderer().objects(tree, path: relative).map { object in
                        var object = object
                        let file = object.positions?.file ?? ""
                        object.positions?.file = prefix + file
                        return object
                    }
                    return [(path, objects)]
                } catch {
                    print(error.description)
                    throw ExitCode(1)
                }
            }
            var files: [String] = []
            if isDirectory.boolValue {
                let enumerator = FileManager.default.enumerator(atPath: path)
                while let relative = enumerator?.nextObject() as? String {
                    if [".yaml", ".yml", ".json"].contains(where: relative.hasSuffix) {
                        files.append((path as NSString).appendingPathComponent(relative))
                    }
                }
            } else {
                files = [path]
            }
            var result: [(String, [Object])] = []
            for file in files.sorted() {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                do {
                    result.append((file, try YAMLDecoder().objects(text, file: file)))
                } catch {
                    print(error.description)
                    throw ExitCode(1)
                }
            }
            return result
        }
    }
}
