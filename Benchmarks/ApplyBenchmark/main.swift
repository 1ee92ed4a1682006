// ApplyBenchmark: 1,000 HTTPRoutes applied with server-side apply by KubeCluster (bounded
// concurrency) and by `kubectl apply --server-side -f DIR` (the same routes under other names),
// against the same embedded API server in one run. Prints both times and the ratio.
//
//     swift run -c release ApplyBenchmark [--count 1000] [--concurrency 8]
//
// The default concurrency is the sync engine's (`SyncEngine.Configuration.concurrency`): 8 applies
// in flight is how Sluice applies a revision. More only adds TLS handshakes and queueing on the
// embedded server's single writer (64: about 1.2 s against 0.9 s on this machine).
import ArgumentParser
import Foundation
import SluiceKube
import SluiceModel

func route(_ name: String, _ index: Int) -> String {
    """
    apiVersion: gateway.networking.k8s.io/v1
    kind: HTTPRoute
    metadata:
      name: \(name)
      namespace: default
    spec:
      parentRefs:
      - name: public-gw
      hostnames:
      - r\(index).example.com
      rules:
      - matches:
        - path:
            type: PathPrefix
            value: /
        backendRefs:
        - name: blue
          port: 80
          weight: \(index % 100)
        - name: green
          port: 80
          weight: \(100 - index % 100)

    """
}

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ApplyBenchmark")
    @Option(help: "HTTPRoutes to apply.") var count = 1000
    @Option(help: "Applies in flight at once.") var concurrency = 8
}

let options = Options.parseOrExit()
let count = options.count
let concurrency = options.concurrency
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-apply-bench-\(getpid())")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }

let cluster = try await EmbeddedCluster(dataDirectory: directory.appendingPathComponent("data"))
let credentials = try ServerCredentials.loadOrCreate(in: directory.appendingPathComponent("data"))
let server = APIServer(cluster: cluster, credentials: credentials, configuration: .init(host: "127.0.0.1", port: 0))
let running = try await server.bind(writingKubeconfigInto: directory.appendingPathComponent("data"))
let serving = Task { try await server.serve(running) }
let kubeconfig = directory.appendingPathComponent("data/kubeconfig").path

// The same routes as files for kubectl, and as objects for KubeCluster.
let files = directory.appendingPathComponent("routes")
try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
var objects: [Object] = []
for index in 0..<count {
    try route("kubectl-\(index)", index).write(to: files.appendingPathComponent("route-\(index).yaml"), atomically: true, encoding: .utf8)
    objects += try YAMLDecoder().objects(route("sluice-\(index)", index), file: "route-\(index).yaml")
}

let client = try KubeCluster(Kubeconfig.load(path: kubeconfig), maximumConnections: concurrency)
let clock = ContinuousClock()
let sluiceTime = try await clock.measure {
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = 0
        for _ in 0..<min(concurrency, objects.count) {
            let object = objects[next]
            next += 1
            group.addTask { _ = try await client.serverSideApply(object, options: ApplyOptions(fieldManager: "sluice")) }
        }
        while try await group.next() != nil {
            if next < objects.count {
                let object = objects[next]
                next += 1
                group.addTask { _ = try await client.serverSideApply(object, options: ApplyOptions(fieldManager: "sluice")) }
            }
        }
    }
}
try await client.shutdown()

let kubectl = Process()
kubectl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
kubectl.arguments = ["kubectl", "--kubeconfig", kubeconfig, "apply", "--server-side", "-f", files.path]
kubectl.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
let kubectlTime = try clock.measure {
    try kubectl.run()
    kubectl.waitUntilExit()
}
guard kubectl.terminationStatus == 0 else {
    print("kubectl apply failed with status \(kubectl.terminationStatus)")
    exit(1)
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
let stored = try await cluster.list(ResourceKind(group: "gateway.networking.k8s.io", version: "v1", kind: "HTTPRoute", plural: "httproutes", namespaced: true), namespace: "default", options: ListOptions())
print("objects stored: \(stored.items.count) (expected \(2 * count))")
print(String(format: "KubeCluster SSA, %d routes, concurrency %d: %.3f s (%.0f applies/s)", count, concurrency, seconds(sluiceTime), Double(count) / seconds(sluiceTime)))
print(String(format: "kubectl apply --server-side -f (%d files):   %.3f s (%.0f applies/s)", count, seconds(kubectlTime), Double(count) / seconds(kubectlTime)))
print(String(format: "ratio (kubectl / KubeCluster): %.1fx (target >= 5x)", seconds(kubectlTime) / seconds(sluiceTime)))
serving.cancel()
