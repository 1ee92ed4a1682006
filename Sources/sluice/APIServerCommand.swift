import ArgumentParser
import Foundation
import SluiceKube

extension Sluice {
    /// Runs only the embedded Kubernetes API (the part `sluice run` starts when no kubeconfig is
    /// given): for kubectl, tests and benchmarks.
    struct APIServerCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "api-server",
            abstract: "Serve the embedded Kubernetes API on loopback and write <data-dir>/kubeconfig.",
            shouldDisplay: false
        )

        @Option(help: "Where objects, TLS material and the kubeconfig are kept.")
        var dataDir: String = ".sluice"

        @Option(help: "HOST:PORT to listen on (port 0 picks a free one).")
        var apiListen: String = "127.0.0.1:6443"

        @Option(help: "Append one audit.k8s.io/v1 Event per request to this file (as kube-apiserver's --audit-log-path, level Metadata).")
        var auditLogPath: String?

        func run() async throws {
            guard var listen = APIServer.Configuration(listen: apiListen) else {
                throw ValidationError("--api-listen must be HOST:PORT, not \(apiListen)")
            }
            listen.auditLogPath = auditLogPath
            let directory = URL(fileURLWithPath: dataDir, isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let cluster = try await EmbeddedCluster(dataDirectory: directory)
            let credentials = try ServerCredentials.loadOrCreate(in: directory)
            let server = APIServer(cluster: cluster, credentials: credentials, configuration: listen)
            let running = try await server.bind(writingKubeconfigInto: directory)
            let line = "serving the embedded API at \(running.url); kubeconfig: \(directory.appendingPathComponent("kubeconfig").path)\n"
            FileHandle.standardOutput.write(Data(line.utf8))
            try await server.serve(running)
        }
    }
}
