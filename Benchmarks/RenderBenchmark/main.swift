// `sluice render` without the rest of sluice: the same renderer, streamed to stdout the same
// way, in a binary that links only SluiceRender (and the argument parser).
// Benchmarks/render/run.py measures it with --sluice when the full `sluice` binary is not built,
// and its heap above its own empty render is what the renderer costs; the code pages of the full
// binary are not in it (about 26 MiB less).
//
//     RenderBenchmark render [--kustomize-compat] --root ROOT DIRECTORY
import ArgumentParser
import Foundation
import SluiceRender

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "RenderBenchmark")
    @Argument(help: "`render`, as the measured `sluice` is called.") var subcommand: String
    @Argument(help: "The kustomization directory to render.") var directory: String
    @Option(help: "The repository root, which no file may leave.") var root: String
    @Flag(help: "Gateway API reference renaming off, as in `sluice render --kustomize-compat`.") var kustomizeCompat = false

    func validate() throws {
        guard subcommand == "render" else { throw ValidationError("the only subcommand is render") }
    }
}

let options = Options.parseOrExit()
let root = options.root
let directory = options.directory
let compat = options.kustomizeCompat
let tree = DiskTree(root: root)
let absolute = URL(fileURLWithPath: directory).standardizedFileURL.path
let path = absolute == tree.root ? "" : String(absolute.dropFirst(tree.root.count + 1))
do {
    try Renderer(configuration: .init(gatewayAPIReferences: !compat)).render(tree, path: path) { text in
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(1, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
