// `sluice render` without the rest of sluice: the same renderer, streamed to stdout the same way,
// in a binary that links only SluiceRender. Benchmarks/render/run.py measures it with --sluice
// when the full `sluice` binary is not built, and its heap above its own empty render is what
// the renderer costs; the code pages of the full binary are not in it (about 26 MiB less).
//
//     RenderBenchmark render [--kustomize-compat] --root ROOT DIRECTORY
import Foundation
import SluiceRender

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "render" { arguments.removeFirst() }
var compat = false
var root: String?
var directory: String?
while !arguments.isEmpty {
    let argument = arguments.removeFirst()
    switch argument {
    case "--kustomize-compat": compat = true
    case "--root": root = arguments.isEmpty ? nil : arguments.removeFirst()
    default: directory = argument
    }
}
guard let root, let directory else {
    FileHandle.standardError.write(Data("usage: RenderBenchmark render [--kustomize-compat] --root ROOT DIRECTORY\n".utf8))
    exit(2)
}
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
