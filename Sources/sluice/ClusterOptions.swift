import ArgumentParser
import Foundation
import SluiceKube

/// How a one-shot subcommand (`diff`, `apply`, `drift`, `canary`) reaches a cluster: as design.md
/// says, `--kubeconfig`, then KUBECONFIG, then the pod's service account, and with none of them
/// the running agent's embedded API through `<data-dir>/kubeconfig`.
struct ClusterOptions: ParsableArguments {
    @Option(name: .long, help: "Kubeconfig file of the cluster to talk to.")
    var kubeconfig: String?

    @Option(name: .long, help: "The agent's data directory; its kubeconfig is used when no other is given.")
    var dataDir: String = ".sluice"

    /// A client for the chosen cluster; fails with a message naming what was tried.
    func connect(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> KubeCluster {
        try KubeCluster(configuration(environment: environment))
    }

    /// A real cluster as `kubectl` would find it: `path`, then KUBECONFIG, then the pod's service
    /// account; nil when none of them is there (`sluice run` then starts the embedded default).
    static func realCluster(path: String?, environment: [String: String]) throws -> Kubeconfig? {
        if let path { return try Kubeconfig.load(path: path, environment: environment) }
        if let list = environment["KUBECONFIG"], !list.isEmpty { return try Kubeconfig.load(environment: environment) }
        return Kubeconfig.inCluster(environment: environment)
    }

    func configuration(environment: [String: String]) throws -> Kubeconfig {
        if let real = try Self.realCluster(path: kubeconfig, environment: environment) { return real }
        let embedded = URL(fileURLWithPath: dataDir).appendingPathComponent("kubeconfig").path
        guard FileManager.default.fileExists(atPath: embedded) else {
            throw ValidationError(
                "no cluster: give --kubeconfig or KUBECONFIG, run in a pod, or start `sluice run` (it writes \(embedded))")
        }
        return try Kubeconfig.load(path: embedded, environment: environment)
    }
}
