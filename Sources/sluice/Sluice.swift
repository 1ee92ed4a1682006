import ArgumentParser
import Foundation

@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "GitOps sync for Kubernetes Gateway API traffic.",
        discussion: """
            Sluice pulls a Git repository, renders its overlays into Gateway API objects, applies \
            them with server-side apply, reports drift, and steps canaries through its own proxy.
            Exit codes: 0 ok, 1 a problem found, 2 usage error.
            """,
        subcommands: [
            Run.self, Render.self, Source.self, Validate.self, Diff.self, Apply.self, Drift.self, CanaryCommand.self, Version.self,
            APIServerCommand.self,
        ]
    )

    /// Runs the chosen subcommand; usage errors exit 2 (ArgumentParser's own code is 64), as
    /// the documented exit codes promise.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
