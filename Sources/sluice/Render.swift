import ArgumentParser
import Foundation
import SluiceGit
import SluiceRender

extension Sluice {
    /// Renders a kustomization as `kubectl kustomize` would, from a directory or a Git revision.
    struct Render: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render a kustomization (a directory, or --repo/--ref/--path) to a YAML stream.",
            discussion: """
                Prints what `kubectl kustomize` prints for the same tree. Sluice also renames Gateway API \
                references (parentRefs, backendRefs, certificateRefs, ReferenceGrant `to`) along with \
                the objects they name; --kustomize-compat turns that off. Exit 1 on an error, printed on stderr.
                """)

        @Argument(help: "The kustomization directory (omit with --repo).")
        var directory: String?

        @Option(name: .long, help: "Repository: a local path, file://, git://, http(s):// or ssh:// URL.")
        var repo: String?

        @Option(name: .long, help: "Branch, tag, commit id, or semver range. Default: the remote's HEAD.")
        var ref: String = "HEAD"

        @Option(name: .long, help: "The kustomization directory inside the repository.")
        var path: String = ""

        @Option(name: .long, help: "Directory holding Sluice's state; the Git cache is <data-dir>/git.")
        var dataDir: String = ".sluice"

        @Option(name: .long, help: "With DIRECTORY: the root nothing may be read outside of. Default: the enclosing Git work tree, else DIRECTORY.")
        var root: String?

        @Flag(name: .long, help: "Output exactly what kubectl kustomize prints (no Gateway API reference renaming).")
        var kustomizeCompat = false

        func validate() throws {
            if directory == nil && repo == nil { throw ValidationError("give a DIRECTORY or --repo URL") }
            if directory != nil && repo != nil { throw ValidationError("give either a DIRECTORY or --repo, not both") }
        }

        func run() async throws {
            let source = RevisionSource(directory: directory, root: root, repo: repo, ref: ref, path: path, dataDir: dataDir)
            do {
                // Written as it is produced: the stream can be larger than the objects it comes from.
                try source.render(Renderer(configuration: .init(gatewayAPIReferences: !kustomizeCompat))) { text in
                    var text = text
                    text.withUTF8 { bytes in
                        var offset = 0
                        while offset < bytes.count {
                            let written = Foundation.write(1, bytes.baseAddress! + offset, bytes.count - offset)
                            if written <= 0 { break }
                            offset += written
                        }
                    }
                }
            } catch let error as RenderError {
                printError("error: \(error)")
                throw ExitCode(1)
            } catch let error as ExitCode {
                throw error
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
