import ArgumentParser

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
        subcommands: [Source.self, Validate.self, Version.self]
    )
}
