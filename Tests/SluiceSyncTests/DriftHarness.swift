import Foundation
import Logging
import Prometheus
import SluiceKube
import SluiceModel
import SluiceSync
import SluiceTestSupport
import Testing

/// One EmbeddedCluster with a synced revision (Namespace `demo`, GatewayClass, routes `shop`
/// and `cart` at 90/10) and a running DriftDetector tracking it, with its metrics in a registry
/// of its own.
final class DriftHarness: Sendable {
    let directory: TemporaryDirectory
    let cluster: EmbeddedCluster
    let engine: SyncEngine
    let detector: DriftDetector
    let registry = PrometheusCollectorRegistry()
    let target = SyncTarget(name: "demo")
    let objects: [Object]
    private let running: Task<Void, any Error>

    static let shop = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: "demo", name: "shop")
    static let cart = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: "demo", name: "cart")
    static let eventKind = ResourceKind(group: "", version: "v1", kind: "Event", plural: "events", namespaced: true)

    init(mode: DriftMode, ignore: [DriftIgnoreRule] = [], alerts: DriftAlerts = DriftAlerts(), directory: TemporaryDirectory? = nil) async throws {
        self.directory = try directory ?? TemporaryDirectory("drift")
        cluster = try await EmbeddedCluster(dataDirectory: self.directory.url)
        engine = SyncEngine(cluster: cluster)
        objects = SyncEngineTests.revision(namespace: "demo", routes: ["shop", "cart"])
        _ = try await engine.sync(objects, revision: "r1", target: target)
        var logger = Logger(label: "drift-test")
        logger.logLevel = ProcessInfo.processInfo.environment["SLUICE_TEST_LOG"] == nil ? .critical : .trace
        detector = DriftDetector(cluster: cluster, alerts: alerts, metrics: PrometheusMetricsFactory(registry: registry), logger: logger)
        await detector.track(target: target, objects: objects, mode: mode, ignore: ignore)
        let detector = detector
        running = Task { try await detector.run() }
        try await waitUntil("the detector checked every tracked object") { await detector.uncheckedCount() == 0 }
    }

    func stop() async {
        running.cancel()
        _ = try? await running.value
    }

    /// The route with other weights, as another field manager would apply it.
    static func route(_ name: String, weights: (Int64, Int64)) -> Object {
        Object([
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": ["name": .string(name), "namespace": "demo"],
            "spec": ["rules": [["backendRefs": [
                ["name": "blue", "port": 8080, "weight": .integer(weights.0)],
                ["name": "green", "port": 8080, "weight": .integer(weights.1)],
            ]]]],
        ])
    }

    /// Another manager takes the route's rules with other weights (what `kubectl apply
    /// --server-side --force-conflicts` does).
    func edit(_ name: String, weights: (Int64, Int64), manager: String = "kubectl-edit") async throws {
        _ = try await cluster.serverSideApply(Self.route(name, weights: weights), options: ApplyOptions(fieldManager: manager, force: true))
    }

    func weights(_ reference: ObjectReference) async throws -> [Int64] {
        let live = try await cluster.get(reference)
        return (live[FieldPath(parsing: "spec.rules[0].backendRefs")]?.arrayValue ?? []).compactMap { $0["weight"]?.integerValue }
    }

    /// Events in `demo` with `reason`, about the object named `name`, oldest first.
    func events(_ reason: String, about name: String) async throws -> [Object] {
        try await cluster.list(Self.eventKind, namespace: "demo", options: ListOptions()).items.filter {
            $0.content["reason"]?.stringValue == reason && $0.content["involvedObject"]?["name"]?.stringValue == name
        }
    }

    /// Waits until there are at least `count` such Events (generous time: CI machines are loaded;
    /// the one-second figure is measured by Benchmarks/SyncBenchmark).
    @discardableResult
    func waitForEvents(_ reason: String, about name: String, count: Int = 1) async throws -> [Object] {
        var found: [Object] = []
        try await waitUntil("\(count) \(reason) Event(s) about \(name)") {
            found = try await self.events(reason, about: name)
            return found.count >= count
        }
        return found
    }

    func metricsText() -> String { registry.emitToString() }

    /// The value of one sample line of the Prometheus text, e.g. `sluice_drifted_objects{target="demo"}`.
    func metric(_ name: String, labels: [String: String]) -> Double? {
        for line in metricsText().split(separator: "\n") where line.hasPrefix(name + "{") {
            guard let close = line.firstIndex(of: "}") else { continue }
            let labelText = line[line.index(line.startIndex, offsetBy: name.count + 1)..<close]
            let pairs = labelText.split(separator: ",").map { pair -> (String, String) in
                let parts = pair.split(separator: "=", maxSplits: 1)
                return (String(parts[0]), String(parts.count > 1 ? parts[1] : "").trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
            }
            guard Dictionary(pairs, uniquingKeysWith: { $1 }) == labels else { continue }
            return Double(line[line.index(after: close)...].trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    func driftRecord() async throws -> DriftRecord? {
        let reference = ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: target.inventoryNamespace, name: DriftRecord.configMapName(for: "demo"))
        guard let configMap = try? await cluster.get(reference) else { return nil }
        return DriftRecord(configMap: configMap)
    }
}

/// Polls `condition` every 20 ms for up to `timeout`; records an issue and throws when it never holds.
func waitUntil(_ what: String, timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting for \(what)")
    throw CancellationError()
}
