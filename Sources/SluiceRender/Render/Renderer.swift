import SluiceGit
import SluiceModel

/// Renders a kustomization the way `kubectl kustomize` does, over a file tree held in memory
/// (a Git `Snapshot`) or on disk (`DiskTree`).
///
/// ```swift
/// let rendering = try Renderer().render(DiskTree(root: "."), path: "overlays/prod")
/// print(rendering.yaml, terminator: "")
/// ```
public struct Renderer: Sendable {
    /// What a render may do and read.
    public struct Configuration: Sendable {
        /// Rename Gateway API references (parentRefs, backendRefs, certificateRefs,
        /// ReferenceGrant `to`) along with the objects they name. Off is `--kustomize-compat`.
        public var gatewayAPIReferences: Bool
        /// The largest file the renderer reads.
        public var maxFileBytes: Int
        /// How deeply kustomizations may include one another.
        public var maxKustomizationDepth: Int

        public init(gatewayAPIReferences: Bool = true, maxFileBytes: Int = 32 * 1024 * 1024, maxKustomizationDepth: Int = 64) {
            self.gatewayAPIReferences = gatewayAPIReferences
            self.maxFileBytes = maxFileBytes
            self.maxKustomizationDepth = maxKustomizationDepth
        }
    }

    /// The objects of one render, in output order, and the YAML stream kubectl kustomize prints.
    public struct Rendering: Sendable {
        /// The objects in output order; each keeps the positions of the file it was read from.
        public var objects: [Object]
        /// The stream `kubectl kustomize` prints: documents separated by `---`.
        public var yaml: String
    }

    /// What this renderer may do and read.
    public var configuration: Configuration

    /// The names a kustomization file may have, in the order kustomize looks for them.
    public static let kustomizationFileNames = ["kustomization.yaml", "kustomization.yml", "Kustomization"]

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Renders the kustomization in directory `path` (relative to the tree's root; "" for the
    /// root). Nothing outside the tree is read: `..` and symlinks that leave it are refused.
    public func render(_ input: any FileTree, path: String = "") throws(RenderError) -> Rendering {
        let objects = try objects(input, path: path)
        return Rendering(objects: objects, yaml: KustomizeYAMLWriter().write(objects))
    }

    /// The objects `render(_:path:)` gives, in output order, without writing them as YAML.
    public func objects(_ input: any FileTree, path: String = "") throws(RenderError) -> [Object] {
        let tree = TreeReader(input, maxFileBytes: configuration.maxFileBytes)
        guard let directory = TreeReader.join("", path) else {
            throw RenderError("'\(path)' is outside the repository")
        }
        let resolved = try tree.resolve(directory)
        guard tree.isDirectory(resolved) else {
            throw RenderError("must build at directory: not a valid directory: '\(path)'")
        }
        var builder = Builder(tree: tree, configuration: configuration)
        let top = try builder.kustomization(in: resolved)
        var resources = try builder.build(directory: resolved)
        // Last, as kustomize does it: hashes go on generated names, then every reference
        // follows the renames.
        for index in resources.indices where resources[index].generator?.appendHash == true {
            let hash = NameHash.hash(resources[index].object)
            resources[index].rename(resources[index].name + "-" + hash)
        }
        NameReferences(gatewayAPI: configuration.gatewayAPIReferences).run(on: &resources)
        // The resources' bookkeeping is not needed any more: each resource's earlier names go as
        // its object is taken, so that they do not all live beside the new array; the objects
        // stay uniquely held.
        var objects: [Object] = []
        objects.reserveCapacity(resources.count)
        for index in resources.indices {
            resources[index].previous = []
            objects.append(resources[index].object)
        }
        resources = []
        objects = try order(objects, kustomization: top)
        // Each option adds annotations or labels kustomize derives from its own build; Sluice
        // refuses them rather than print something else than kubectl would.
        if let option = try buildMetadata(top).first {
            throw RenderError("buildMetadata '\(option)' is not supported by Sluice's renderer", at: top.location(of: "buildMetadata"))
        }
        return objects
    }

    /// Renders as `render(_:path:)` does, handing the YAML stream to `emit` in pieces of whole
    /// documents, in order. Each object is released once written, so a large rendering never
    /// holds its whole stream, nor every tree beside it: what `sluice render` uses.
    public func render(_ input: any FileTree, path: String = "", emit: (String) -> Void) throws(RenderError) {
        var objects = try objects(input, path: path)
        KustomizeYAMLWriter().write(releasing: &objects, emit: emit)
    }

    private func buildMetadata(_ kustomization: Kustomization) throws(RenderError) -> [String] {
        let values = try kustomization.strings("buildMetadata")
        for value in values where !["originAnnotations", "transformerAnnotations", "managedByLabel"].contains(value) {
            throw RenderError("invalid buildMetadata option: \(value)", at: kustomization.location(of: "buildMetadata"))
        }
        return values
    }

    private func order(_ objects: [Object], kustomization: Kustomization) throws(RenderError) -> [Object] {
        guard let options = kustomization.fields["sortOptions"]?.objectValue else { return ResourceOrder.legacy(objects) }
        switch options["order"]?.stringValue {
        case "fifo":
            return objects
        case "legacy", nil:
            if let legacy = options["legacySortOptions"]?.objectValue {
                let first = (legacy["orderFirst"]?.arrayValue ?? []).compactMap(\.stringValue)
                let last = (legacy["orderLast"]?.arrayValue ?? []).compactMap(\.stringValue)
                return ResourceOrder.legacy(objects, first: first, last: last)
            }
            return ResourceOrder.legacy(objects)
        case let other?:
            throw RenderError("the field 'sortOptions.order' must be one of [fifo, legacy], got \(other)", at: kustomization.location(of: "sortOptions"))
        }
    }
}
