// SyncBenchmark: against one embedded API server on loopback (HTTPS, as a real cluster),
//  (a) a full sync of N HTTPRoutes plus their Namespace, Gateway and Services by SyncEngine
//      through KubeCluster — first apply, then an unchanged re-sync, which must write nothing
//      (every resourceVersion the same) — and `kubectl apply --server-side` of the same
//      objects (in a namespace of their own) first and unchanged, in the same run;
//  (b) drift detection latency: M out-of-band changes (server-side apply of another weight by
//      another field manager, through the API server), each timed until the DriftDetected
//      Event is written (seen on a watch of Events), p50 and p99.
//
//     swift run -c release SyncBenchmark [--count 1000] [--changes 100] [--concurrency 32]
import ArgumentParser
import Foundation
import Logging
import SluiceKube
import SluiceModel
import SluiceSync
import Synchronization

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "SyncBenchmark")
    @Option(help: "HTTPRoutes to sync.") var count = 1000
    @Option(help: "Out-of-band changes to time until their drift Event.") var changes = 100
    @Option(help: "Applies in flight at once.") var concurrency = 32
}

func route(_ index: Int, namespace: String, weight: Int) -> String {
    """
    apiVersion: gateway.networking.k8s.io/v1
    kind: HTTPRoute
    metadata: {name: route-\(index), namespace: \(namespace)}
    spec:
      parentRefs:
      - name: public
      hostnames:
      - r\(index).example.com
      rules:
      - matches:
        - path: {type: PathPrefix, value: /}
        backendRefs:
        - {name: blue, port: 80, weight: \(weight)}
        - {name: green, port: 80, weight: \(100 - weight)}

    """
}

func manifests(namespace: String, count: Int, weightOf: (Int) -> Int = { $0 % 100 }) -> String {
    var text = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: \(namespace)}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: public, namespace: \(namespace)}
        spec:
          gatewayClassName: sluice
          listeners:
          - {name: http, port: 80, protocol: HTTP}

        """
    for colour in ["blue", "green"] {
        text += """
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: \(colour), namespace: \(namespace)}
            spec:
              selector: {app: \(colour)}
              ports:
              - {port: 80, targetPort: 8080, protocol: TCP}

            """
    }
    for index in 0..<count { text += "---\n" + route(index, namespace: namespace, weight: weightOf(index)) }
    return text
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Runs kubectl, returning the wall time; exits the benchmark if it fails.
func kubectl(_ arguments: [String]) throws -> Duration {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["kubectl"] + arguments
    process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
    let clock = ContinuousClock()
    let time = try clock.measure {
        try process.run()
        process.waitUntilExit()
    }
    guard process.terminationStatus == 0 else {
        print("kubectl \(arguments.joined(separator: " ")) failed with status \(process.terminationStatus)")
        exit(1)
    }
    return time
}

let options = Options.parseOrExit()
let count = options.count
let changes = options.changes
let concurrency = options.concurrency
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-sync-bench-\(getpid())")
let data = directory.appendingPathComponent("data")
try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }

let cluster = try await EmbeddedCluster(dataDirectory: data)
let credentials = try ServerCredentials.loadOrCreate(in: data)
let server = APIServer(cluster: cluster, credentials: credentials, configuration: .init(host: "127.0.0.1", port: 0))
let running = try await server.bind(writingKubeconfigInto: data)
let serving = Task { try await server.serve(running) }
let kubeconfig = data.appendingPathComponent("kubeconfig").path
let client = try KubeCluster(Kubeconfig.load(path: kubeconfig), maximumConnections: concurrency)
let clock = ContinuousClock()
let routeKind = try await client.resourceKind(apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute")

func versions(_ namespace: String, client: KubeCluster, kind: ResourceKind) async throws -> [String: String] {
    var result: [String: String] = [:]
    for item in try await client.list(kind, namespace: namespace, options: ListOptions()).items {
        result[item.name] = item.metadata["resourceVersion"]?.stringValue
    }
    return result
}

// (a) Full sync: SyncEngine through KubeCluster, then kubectl, each first and unchanged.
let objects = try YAMLDecoder().objects(manifests(namespace: "bench-sluice", count: count), file: "bench.yaml")
let engine = SyncEngine(cluster: client, configuration: .init(concurrency: concurrency))
let target = SyncTarget(name: "bench", namespace: "bench-sluice")
var firstResult: SyncResult?
let firstSync = try await clock.measure { firstResult = try await engine.sync(objects, revision: "r1", target: target) }
let before = try await versions("bench-sluice", client: client, kind: routeKind)
var secondResult: SyncResult?
let unchangedSync = try await clock.measure { secondResult = try await engine.sync(objects, revision: "r1", target: target) }
let after = try await versions("bench-sluice", client: client, kind: routeKind)
let rewritten = before.filter { after[$0.key] != $0.value }.count

let file = directory.appendingPathComponent("kubectl.yaml")
try manifests(namespace: "bench-kubectl", count: count).write(to: file, atomically: true, encoding: .utf8)
let applyArguments = ["--kubeconfig", kubeconfig, "apply", "--server-side", "--field-manager=kubectl-bench", "-f", file.path]
let kubectlFirst = try kubectl(applyArguments)
let kubectlBefore = try await versions("bench-kubectl", client: client, kind: routeKind)
let kubectlUnchanged = try kubectl(applyArguments)
let kubectlRewritten = try await versions("bench-kubectl", client: client, kind: routeKind).filter { kubectlBefore[$0.key] != $0.value }.count

print("(a) full sync of \(count) HTTPRoutes + Namespace, Gateway, 2 Services (\(objects.count) objects), concurrency \(concurrency)")
print(String(format: "  sluice first sync:        %7.3f s", seconds(firstSync)) + "  (\(firstResult?.changes.summary ?? "?"))")
print(String(format: "  sluice unchanged re-sync: %7.3f s", seconds(unchangedSync))
    + "  (\(secondResult?.changes.summary ?? "?"); \(rewritten) routes rewritten; target: 0 and < 2 s)")
print(String(format: "  kubectl apply --server-side first:     %7.3f s", seconds(kubectlFirst)))
print(String(format: "  kubectl apply --server-side unchanged: %7.3f s  (%d routes rewritten)", seconds(kubectlUnchanged), kubectlRewritten))
print(String(format: "  ratio first (kubectl / sluice):     %.1fx", seconds(kubectlFirst) / seconds(firstSync)))
print(String(format: "  ratio unchanged (kubectl / sluice): %.1fx", seconds(kubectlUnchanged) / seconds(unchangedSync)))

// (b) Drift detection latency through the API server.
var logger = Logger(label: "sluice.bench.drift")
logger.logLevel = .error
let detector = DriftDetector(cluster: client, alerts: DriftAlerts(), logger: logger)
// Every namespaced object names its namespace, so these are the objects exactly as applied.
let placed = objects
await detector.track(target: target, objects: placed, mode: .alert, ignore: [])
let detecting = Task { try await detector.run() }
let ready = clock.now
while await detector.uncheckedCount() > 0 {
    try await Task.sleep(for: .milliseconds(20))
    if clock.now - ready > .seconds(120) { print("the detector did not check the tracked objects within 120 s"); exit(1) }
}
let initialCheck = clock.now - ready

let seen = Mutex<[String: ContinuousClock.Instant]>([:])
let eventKind = try await client.resourceKind(apiVersion: "v1", kind: "Event")
let watchingEvents = Task {
    for try await event in client.observe(eventKind, namespace: "bench-sluice") {
        guard case .added(let object) = event, object.content["reason"]?.stringValue == DriftDetector.Reason.detected,
            let name = object.content["involvedObject"]?["name"]?.stringValue
        else { continue }
        let now = clock.now
        seen.withLock { if $0[name] == nil { $0[name] = now } }
    }
}
try await Task.sleep(for: .milliseconds(200))

let editor = try KubeCluster(Kubeconfig.load(path: kubeconfig))
var latencies: [Double] = []
for change in 0..<changes {
    let index = (change * 7919) % count
    let name = "route-\(index)"
    let edited = try YAMLDecoder().objects(route(index, namespace: "bench-sluice", weight: index % 100 == 33 ? 34 : 33), file: "edit.yaml")[0]
    let start = clock.now
    _ = try await editor.serverSideApply(edited, options: ApplyOptions(fieldManager: "bench-editor", force: true))
    while seen.withLock({ $0[name] }) == nil {
        if clock.now - start > .seconds(30) { print("no DriftDetected Event for \(name) within 30 s"); exit(1) }
        try await Task.sleep(for: .milliseconds(1))
    }
    latencies.append(seconds(seen.withLock { $0[name]! } - start))
}
latencies.sort()
func percentile(_ p: Double, of sorted: [Double]) -> Double { sorted[max(0, min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1))] }
print("(b) drift detection latency, \(changes) out-of-band changes (SSA by another manager through the API server) → DriftDetected Event")
print(String(format: "  initial check of %d tracked objects: %.3f s", placed.count, seconds(initialCheck)))
print(String(format: "  p50 %.3f s, p99 %.3f s, max %.3f s (target p50 < 1 s)", percentile(0.5, of: latencies), percentile(0.99, of: latencies), latencies.last ?? 0))
let drift = await detector.currentDrift()
print("  objects reported drifted: \(drift.count) (expected \(Set((0..<changes).map { ($0 * 7919) % count }).count))")

watchingEvents.cancel()
detecting.cancel()
try await editor.shutdown()
try await client.shutdown()
serving.cancel()
