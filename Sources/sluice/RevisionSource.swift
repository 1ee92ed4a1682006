import ArgumentParser
import Foundation
import SluiceGit
import SluiceModel
import SluiceRender

/// One revision to render, from a directory or a Git repository: what `render`, `diff` and
/// `apply` share, so all three read a revision the same way.
struct RevisionSource {
    var directory: String?
    /// With `directory`: the root nothing may be read outside of (default: the enclosing Git work tree).
    var root: String?
    var repo: String?
    var ref: String = "HEAD"
    var path: String = ""
    var dataDir: String = ".sluice"

    /// The tree to render, the kustomization's path in it, and the revision's name (`main@sha1:…`
    /// for Git, the directory otherwise).
    private func renderInput() throws -> (tree: any FileTree, path: String, revision: String) {
        if let directory {
            let (tree, path) = root.map { (DiskTree(root: $0), Self.relative(directory, to: $0)) } ?? DiskTree.enclosing(directory)
            return (tree, path, URL(fileURLWithPath: directory).standardizedFileURL.path)
        }
        let checkout = try GitRenderSource(repo: repo ?? "", ref: ref, dataDir: dataDir).checkout()
        return (checkout.snapshot, path, checkout.revision.displayName)
    }

    /// Renders the revision, handing the YAML stream to `emit` in pieces as it is written
    /// (see `Renderer.render(_:path:emit:)`).
    func render(_ renderer: Renderer, emit: (String) -> Void) throws {
        let (tree, path, _) = try renderInput()
        try renderer.render(tree, path: path, emit: emit)
    }

    /// The objects of the revision: a kustomization is rendered; a directory without one, or a
    /// single file, is read as plain YAML manifests (files in path order), as `kubectl apply -f` does.
    func objects() throws -> (objects: [Object], revision: String) {
        guard let directory, !Self.isKustomization(directory) else {
            let (tree, path, revision) = try renderInput()
            return (try Renderer().objects(tree, path: path), revision)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw ValidationError("\(directory): no such file or directory")
        }
        var files = [directory]
        if isDirectory.boolValue {
            files = []
            let enumerator = FileManager.default.enumerator(atPath: directory)
            while let relative = enumerator?.nextObject() as? String {
                guard [".yaml", ".yml", ".json"].contains(where: relative.hasSuffix) else { continue }
                files.append((directory as NSString).appendingPathComponent(relative))
            }
        }
        var objects: [Object] = []
        for file in files.sorted() {
            objects += try YAMLDecoder().objects(try String(contentsOfFile: file, encoding: .utf8), file: file)
        }
        return (objects, URL(fileURLWithPath: directory).standardizedFileURL.path)
    }

    static func isKustomization(_ directory: String) -> Bool {
        Renderer.kustomizationFileNames.contains { FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent($0)) }
    }

    /// `directory` as a path inside `root`.
    static func relative(_ directory: String, to root: String) -> String {
        let base = URL(fileURLWithPath: root).standardizedFileURL.path
        let full = URL(fileURLWithPath: directory).standardizedFileURL.path
        if full == base { return "" }
        return full.hasPrefix(base + "/") ? String(full.dropFirst(base.count + 1)) : "../" + full
    }
}

/// The revision flags of `diff` and `apply`: a PATH, or --repo/--ref/--path (the data directory,
/// which holds the Git cache, comes from `ClusterOptions`).
struct RevisionOptions: ParsableArguments {
    @Argument(help: "A kustomization directory, a directory of YAML manifests, or one file (omit with --repo).")
    var directory: String?

    @Option(name: .long, help: "Repository: a local path, file://, git://, http(s):// or ssh:// URL.")
    var repo: String?

    @Option(name: .long, help: "Branch, tag, commit id, or semver range. Default: the remote's HEAD.")
    var ref: String = "HEAD"

    @Option(name: .long, help: "The kustomization directory inside the repository.")
    var path: String = ""

    func validate() throws {
        if directory == nil && repo == nil { throw ValidationError("give a PATH or --repo URL") }
        if directory != nil && repo != nil { throw ValidationError("give either a PATH or --repo, not both") }
    }

    func source(dataDir: String) -> RevisionSource {
        RevisionSource(directory: directory, repo: repo, ref: ref, path: path, dataDir: dataDir)
    }
}

/// The whole tree of one revision, for rendering a path inside it (kustomizations may reach
/// up to `../base`, so the snapshot is the repository's root, not the path).
struct GitRenderSource {
    var repo: String
    var ref: String
    var dataDir: String

    func checkout() throws -> GitCache.Checkout {
        var options = try GitSourceOptions.parse(["--repo", repo, "--ref", ref, "--data-dir", dataDir])
        options.path = ""
        return try options.cache.checkout(try options.remote(), reference: try GitReference(parsing: ref), path: "")
    }
}
