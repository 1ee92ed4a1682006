import OrderedCollections
import SluiceModel

/// Walks kustomizations depth first, as kustomize's KustTarget does: resources (files and
/// nested kustomizations), then components, then generators, then the transformers in
/// kustomize's fixed order. Hash suffixes and reference renaming happen once, at the top.
struct Builder {
    let tree: TreeReader
    let configuration: Renderer.Configuration
    /// Directories being built, outermost first: a directory met again is a cycle.
    var stack: [String] = []

    init(tree: TreeReader, configuration: Renderer.Configuration) {
        self.tree = tree
        self.configuration = configuration
    }

    /// The kustomization file in `directory`.
    func kustomization(in directory: String) throws(RenderError) -> Kustomization {
        let found = Kustomization.fileNames.compactMap { name -> String? in
            let path = directory.isEmpty ? name : directory + "/" + name
            return tree.isFile(path) ? path : nil
        }
        guard let file = found.first else {
            throw RenderError(
                "unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '\(directory.isEmpty ? "." : directory)'",
                file: directory.isEmpty ? "." : directory)
        }
        guard found.count == 1 else {
            throw RenderError("found multiple kustomization files under: \(directory.isEmpty ? "." : directory)", file: found[1])
        }
        return try Kustomization(directory: directory, file: file, text: try tree.text(file))
    }

    /// Builds the kustomization in `directory` into its resources (before hashes and renaming).
    mutating func build(directory: String) throws(RenderError) -> [Resource] {
        guard stack.count < configuration.maxKustomizationDepth else {
            throw RenderError("kustomizations nest deeper than \(configuration.maxKustomizationDepth) levels", file: directory)
        }
        if stack.contains(directory) {
            let cycle = (stack.drop(while: { $0 != directory }) + [directory]).map { $0.isEmpty ? "." : $0 }
            throw RenderError("cycle detected: \(cycle.joined(separator: " -> "))", file: directory.isEmpty ? "." : directory)
        }
        stack.append(directory)
        defer { stack.removeLast() }
        let kustomization = try kustomization(in: directory)
        if kustomization.isComponent {
            throw RenderError("expected kind != 'Component' for path '\(directory.isEmpty ? "." : directory)'", file: kustomization.file)
        }
        var resources: [Resource] = []
        try accumulate(kustomization, into: &resources)
        return resources
    }

    /// Applies one kustomization (or component) to `resources`.
    mutating func accumulate(_ kustomization: Kustomization, into resources: inout [Resource]) throws(RenderError) {
        for key in ["resources", "bases"] {
            for (index, entry) in try kustomization.strings(key).enumerated() {
                try addResource(entry, from: kustomization, at: kustomization.location(of: key, .index(index)), into: &resources)
            }
        }
        for (index, crd) in try kustomization.strings("crds").enumerated() {
            // Only read: the OpenAPI definitions they hold change nothing Sluice renders.
            _ = try loadFile(crd, from: kustomization, at: kustomization.location(of: "crds", .index(index)))
        }
        for (index, component) in try kustomization.strings("components").enumerated() {
            try applyComponent(component, from: kustomization, at: kustomization.location(of: "components", .index(index)), into: &resources)
        }
        try Generators(builder: self, kustomization: kustomization).run(on: &resources)
        try Transformers(builder: self, kustomization: kustomization).run(on: &resources)
    }

    private mutating func applyComponent(
        _ entry: String, from parent: Kustomization, at location: SourceLocation, into resources: inout [Resource]
    ) throws(RenderError) {
        try refuseRemote(entry, at: location)
        guard let joined = TreeReader.join(parent.directory, entry) else {
            throw RenderError("component '\(entry)' is outside the repository", at: location)
        }
        let directory = try tree.resolve(joined)
        guard tree.isDirectory(directory) else {
            throw RenderError("accumulating components: '\(entry)': must be a directory holding a kustomization.yaml", at: location)
        }
        if stack.contains(directory) {
            throw RenderError("cycle detected: component '\(entry)' includes itself", at: location)
        }
        stack.append(directory)
        defer { stack.removeLast() }
        let component = try kustomization(in: directory)
        guard component.isComponent else {
            throw RenderError("accumulating components: '\(entry)': expected kind 'Component', found 'Kustomization'", at: location)
        }
        try accumulate(component, into: &resources)
    }

    private mutating func addResource(
        _ entry: String, from kustomization: Kustomization, at location: SourceLocation, into resources: inout [Resource]
    ) throws(RenderError) {
        try refuseRemote(entry, at: location)
        guard let joined = TreeReader.join(kustomization.directory, entry) else {
            throw RenderError("accumulating resources from '\(entry)': the path is outside the repository", at: location)
        }
        let path = try tree.resolve(joined)
        var added: [Resource]
        if tree.isDirectory(path) {
            added = try build(directory: path)
        } else if tree.isFile(path) {
            try checkRestriction(path, of: kustomization, entry: entry, at: location)
            added = try objects(in: path).map(Resource.init)
        } else {
            throw RenderError(
                "accumulating resources: accumulation err='accumulating resources from '\(entry)': file or directory not found: '\(joined)'",
                at: location)
        }
        try Self.append(&added, to: &resources, at: location)
    }

    static func append(_ added: inout [Resource], to resources: inout [Resource], at location: SourceLocation?) throws(RenderError) {
        // Built one by one: a Set made from a mapped array reserves room for every resource.
        var seen: Set<String> = []
        for resource in resources { seen.insert(resource.id.key) }
        for resource in added {
            guard seen.insert(resource.id.key).inserted else {
                throw RenderError("may not add resource with an already registered id: \(resource.idDescription)", at: resource.object.location() ?? location)
            }
        }
        guard resources.isEmpty else {
            // Room for exactly these: a base grown by doubling (a generated ConfigMap added to
            // 30,000 resources) would hold up to twice the room, and be copied whole once more
            // when an overlay takes it over.
            resources.reserveCapacity(resources.count + added.count)
            resources.append(contentsOf: added)
            added = []
            return
        }
        // A base's resources are most often all there is: taken over, not copied, and with room
        // for exactly them (a base that grew by appending may have room for up to twice as many).
        if added.capacity > added.count {
            resources.reserveCapacity(added.count)
            resources.append(contentsOf: added)
        } else {
            resources = added
        }
        added = []
    }

    /// Remote bases are not fetched: a render reads only its snapshot.
    func refuseRemote(_ entry: String, at location: SourceLocation) throws(RenderError) {
        let remote = entry.contains("://") || entry.hasPrefix("git@") || entry.hasPrefix("github.com/")
            || entry.hasPrefix("gitlab.com/") || entry.hasPrefix("bitbucket.org/")
        if remote {
            throw RenderError("remote resource '\(entry)' refused: Sluice renders only files in the repository", at: location)
        }
    }

    /// kustomize's LoadRestrictionsRootOnly: a file a kustomization reads must be in or below its directory.
    func checkRestriction(_ path: String, of kustomization: Kustomization, entry: String, at location: SourceLocation)
        throws(RenderError)
    {
        let root = kustomization.directory
        guard root.isEmpty || path.hasPrefix(root + "/") else {
            throw RenderError(
                "security; file '\(path)' is not in or below '\(root.isEmpty ? "." : root)' (load restrictions: root only)",
                at: location)
        }
    }

    /// A file named by a kustomization, read under the load restriction.
    func loadFile(_ entry: String, from kustomization: Kustomization, at location: SourceLocation) throws(RenderError) -> (path: String, text: String) {
        try refuseRemote(entry, at: location)
        guard let joined = TreeReader.join(kustomization.directory, entry) else {
            throw RenderError("'\(entry)' is outside the repository", at: location)
        }
        let path = try tree.resolve(joined)
        try checkRestriction(path, of: kustomization, entry: entry, at: location)
        guard tree.isFile(path) else {
            throw RenderError("file not found: '\(joined)'", at: location)
        }
        return (path, try tree.text(path))
    }

    /// The objects of a manifest file; `List` kinds are unpacked into their items.
    func objects(in path: String) throws(RenderError) -> [Object] {
        let text = try tree.text(path)
        // The text is not kept for the lines of errors about objects: those are rare, and the
        // texts of a large tree are as much memory again as its input.
        let tree = tree
        return try Self.objects(text, file: path, reread: { try? tree.text(path) })
    }

    static func objects(_ text: String, file: String, reread: (@Sendable () -> String?)? = nil) throws(RenderError) -> [Object] {
        let decoded: [Object]
        do {
            // On this thread: trees built on others live in other malloc arenas, whose blocks the
            // transformations here free but cannot reuse, so the peak would hold both.
            decoded = try YAMLDecoder(parallel: false).objects(text, file: file, reread: reread)
        } catch {
            throw RenderError(error)
        }
        var result: [Object] = []
        result.reserveCapacity(decoded.count)
        for object in decoded {
            if object.kind.hasSuffix("List"), let items = object.content["items"]?.arrayValue {
                for item in items {
                    guard let members = item.objectValue else { continue }
                    result.append(Object(members, positions: object.positions))
                }
            } else {
                result.append(object)
            }
        }
        return result
    }
}
