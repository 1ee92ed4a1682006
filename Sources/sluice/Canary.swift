import ArgumentParser
import Foundation
import SluiceCanary
import SluiceKube
import SluiceModel

extension Sluice {
    /// `sluice canary status|pause|resume|promote|abort NAME`: reads a Canary's status, or gives
    /// its rollout a command through the `sluice.dev/canary-action` annotation, which the agent
    /// carries out and removes (so `kubectl annotate` does the same).
    struct CanaryCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "canary",
            abstract: "Show or steer a Canary's rollout.",
            discussion: """
                Commands are given as the annotation \(CanaryAction.annotation) on the Canary; the agent \
                carries them out, records them in the status and as Events, and removes the annotation. \
                `kubectl annotate canary NAME \(CanaryAction.annotation)=pause` does the same.
                """,
            subcommands: [Status.self, Pause.self, Resume.self, Promote.self, Abort.self])
    }
}

/// The Canary a subcommand is about.
struct CanaryTarget: ParsableArguments {
    @Argument(help: "The Canary's name.")
    var name: String

    @Option(name: .shortAndLong, help: "The Canary's namespace.")
    var namespace: String = "default"

    @OptionGroup var cluster: ClusterOptions
}

extension Sluice.CanaryCommand {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a Canary's phase, step, weights and history.")

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text, yaml, json
        }

        @OptionGroup var target: CanaryTarget

        @Option(name: .shortAndLong, help: "Output format: text, yaml or json (the whole Canary).")
        var output: Format = .text

        func run() async throws {
            let object = try await withCluster(target) { cluster in
                try await CanaryControl(cluster: cluster).canary(namespace: target.namespace, name: target.name)
            }
            switch output {
            case .text: print(CanaryControl.report(object), terminator: "")
            case .yaml: print(try YAMLEncoder().encode(object.value), terminator: "")
            case .json: print(object.value.jsonText(indent: 2))
            }
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Hold the current step until resumed.")
        @OptionGroup var target: CanaryTarget
        @OptionGroup var wait: WaitOptions
        func run() async throws { try await request(.pause, target, wait) }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Go on after a pause or through a manual gate.")
        @OptionGroup var target: CanaryTarget
        @OptionGroup var wait: WaitOptions
        func run() async throws { try await request(.resume, target, wait) }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Skip the remaining steps: Git's weights now.")
        @OptionGroup var target: CanaryTarget
        @OptionGroup var wait: WaitOptions
        func run() async throws { try await request(.promote, target, wait) }
    }

    struct Abort: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Roll back to the last promoted weights; the revision is not retried until Git changes.")
        @OptionGroup var target: CanaryTarget
        @OptionGroup var wait: WaitOptions
        func run() async throws { try await request(.abort, target, wait) }
    }
}

struct WaitOptions: ParsableArguments {
    @Option(name: .long, help: "How long to wait for the agent to take the command (e.g. 30s; 0s: do not wait).")
    var wait: String = "30s"
}

/// Annotates the Canary and, unless told not to, waits until the agent has taken the command.
private func request(_ action: CanaryAction, _ target: CanaryTarget, _ options: WaitOptions) async throws {
    let timeout: Duration
    do {
        timeout = try GoDuration.parse(options.wait)
    } catch {
        throw ValidationError("--wait: \(error)")
    }
    try await withCluster(target) { cluster in
        let control = CanaryControl(cluster: cluster)
        try await control.request(action, namespace: target.namespace, name: target.name)
        let name = "Canary \(target.namespace)/\(target.name)"
        guard timeout > .zero else {
            print("\(name): \(action.rawValue) requested (\(CanaryAction.annotation)=\(action.rawValue))")
            return
        }
        guard try await control.waitUntilConsumed(namespace: target.namespace, name: target.name, timeout: timeout) else {
            printError("\(name): \(action.rawValue) requested, but no agent took it within \(options.wait); is `sluice run` running?")
            throw ExitCode(1)
        }
        let object = try await control.canary(namespace: target.namespace, name: target.name)
        print("\(name): \(action.rawValue) taken")
        print(CanaryControl.report(object), terminator: "")
    }
}

/// Runs `body` with a client for the target's cluster, closed afterwards whatever happens; a
/// missing Canary exits 1 with its name.
private func withCluster<T>(_ target: CanaryTarget, _ body: (KubeCluster) async throws -> T) async throws -> T {
    let cluster = try target.cluster.connect()
    let result: Result<T, any Error>
    do {
        result = .success(try await body(cluster))
    } catch {
        result = .failure(error)
    }
    try? await cluster.shutdown()
    switch result {
    case .success(let value):
        return value
    case .failure(let failure as CanaryControl.Failure):
        printError("error: \(failure)")
        throw ExitCode(1)
    case .failure(let error):
        throw error
    }
}
