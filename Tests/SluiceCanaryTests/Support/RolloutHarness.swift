import Dispatch
import Foundation
import Logging
import Metrics
import Prometheus
import SluiceCanary
import SluiceKube
import SluiceModel
import SluiceProxy
import SluiceSync
import SluiceTestSupport
import Synchronization
import Testing

/// Everything a rollout runs on, real and on loopback: an EmbeddedCluster (served over HTTPS for
/// kubectl and the CLI), the sync engine applying each revision through the controller's
/// `overlay`, a ProxyServer serving what the cluster holds, and two upstreams, blue and green.
/// `sync()` is what the agent does for one revision; the controller's `requestSync` calls it.
final class RolloutHarness: Sendable {
    struct CanaryOptions: Sendable {
        var steps = [10, 50, 100]
        var interval = "1s"
        var every = "100ms"
        var maxLatency = "500ms"
        var minRequests = 20
        var failureLimit = 2
        /// Where the controller POSTs rollbacks.
        var webhook: String?
        /// The route's parent is a ListenerSet of the Gateway, not the Gateway itself.
        var viaListenerSet = false
    }

    struct State {
        var revision = ""
        var weights = (blue: 100, green: 0)
        /// The weights the proxy serves now, as the cluster's route has them.
        var serving: [Int] = []
        var controller: CanaryController<ContinuousClock>?
        var syncErrors: [String] = []
        /// Set by `stop()`: a sync asked for afterwards (a controller still winding down) does nothing.
        var stopped = false
    }

    let directory: TemporaryDirectory
    let cluster: EmbeddedCluster
    let engine: SyncEngine
    let proxy: ProxyServer
    let blue: Upstream
    let green: Upstream
    let options: CanaryOptions
    let registry = PrometheusCollectorRegistry()
    let state = Mutex(State())
    private let serial = SerialQueue()
    private let apiServer: Task<Void, any Error>
    let kubeconfig: String

    static let canary = CanaryOverlay<ContinuousClock>.Key(namespace: "demo", name: "shop")
    static let route = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: "demo", name: "shop")
    static let host = "shop.example.test"

    private init(
        directory: TemporaryDirectory, cluster: EmbeddedCluster, proxy: ProxyServer, blue: Upstream, green: Upstream,
        options: CanaryOptions, apiServer: Task<Void, any Error>, kubeconfig: String
    ) {
        self.directory = directory
        self.cluster = cluster
        var schemas = KindCatalog.builtInSchemas
        schemas.add(crd: CanarySpec.customResourceDefinition)
        self.engine = SyncEngine(cluster: cluster, schemas: schemas)
        self.proxy = proxy
        self.blue = blue
        self.green = green
        self.options = options
        self.apiServer = apiServer
        self.kubeconfig = kubeconfig
    }

    static func start(green behaviour: Upstream.Behaviour = .init(), options: CanaryOptions = CanaryOptions()) async throws -> RolloutHarness {
        let directory = try TemporaryDirectory("sluice-canary")
        let cluster = try await EmbeddedCluster(dataDirectory: directory.url)
        // As the agent's bootstrap does: the Canary CRD is installed, not synced from Git.
        _ = try await cluster.serverSideApply(CanarySpec.customResourceDefinition, options: ApplyOptions(fieldManager: "sluice-agent", force: true))
        let credentials = try ServerCredentials.loadOrCreate(in: directory.url)
        let server = APIServer(cluster: cluster, credentials: credentials, configuration: .init(host: "127.0.0.1", port: 0))
        let running = try await server.bind(writingKubeconfigInto: directory.url)
        let apiServer = Task { try await server.serve(running) }
        let proxy = try await boundProxy()
        let blue = try await Upstream.start(name: "shop-blue")
        let green = try await Upstream.start(name: "shop-green", behaviour)
        return RolloutHarness(
            directory: directory, cluster: cluster, proxy: proxy, blue: blue, green: green, options: options,
            apiServer: apiServer, kubeconfig: directory.path("kubeconfig").path)
    }

    /// A proxy already listening for port 80 (the offset's socket), which every revision's table
    /// keeps. A port found free a moment ago may since be taken by a test running beside this
    /// one: then another offset is tried here, rather than a probe finding the listener unbound.
    private static func boundProxy() async throws -> ProxyServer {
        var input = ProxyInput()
        input.gatewayClasses = [GatewayClass(
            apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: ObjectMeta(name: "sluice"),
            spec: GatewayClassSpec(controllerName: RouteCompiler.defaultControllerName))]
        input.gateways = [Gateway(
            apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: ObjectMeta(name: "edge", namespace: "demo"),
            spec: GatewaySpec(gatewayClassName: "sluice", listeners: [Listener(name: "http", port: 80, protocol: "HTTP")]))]
        let table = RouteCompiler().compile(input).table
        var lastFailures: [ListenerSocket: BindFailure] = [:]
        for _ in 0..<5 {
            let proxy = try await ProxyServer.start(configuration: ProxyConfiguration(portOffset: try freeLoopbackPort() - 80))
            lastFailures = try await proxy.install(table)
            if lastFailures.isEmpty { return proxy }
            try await proxy.shutdown()
        }
        throw ProxyNotBound(failures: lastFailures)
    }

    struct ProxyNotBound: Error {
        var failures: [ListenerSocket: BindFailure]
    }

    /// A controller as the agent makes one: the proxy's listeners and counters, a real clock.
    func makeController() -> CanaryController<ContinuousClock> {
        let proxy = self.proxy
        let controller = CanaryController(
            cluster: cluster, proxy: ProbeTarget { _, port in await proxy.boundPort(listenerPort: port) }, stats: proxy.stats,
            clock: ContinuousClock(), metrics: PrometheusMetricsFactory(registry: registry),
            logger: Logger(label: "test.canary"), configuration: .init(tick: .milliseconds(100), alerts: CanaryAlerts(webhookURL: options.webhook))
        ) { [self] in
            await self.sync()
        }
        state.withLock { $0.controller = controller }
        return controller
    }

    /// A new commit: Git now says blue `blue`, green `green`; synced at once.
    func commit(_ revision: String, blue: Int, green: Int) async {
        state.withLock {
            $0.revision = revision
            $0.weights = (blue, green)
        }
        await sync()
    }

    /// One sync of the current revision, as the agent runs it: render (here: the objects below),
    /// overlay, apply, then the proxy serves what the cluster now holds. Runs one at a time.
    func sync() async {
        await serial.run { await self.syncNow() }
    }

    private func syncNow() async {
        let (revision, weights, controller, stopped) = state.withLock { ($0.revision, $0.weights, $0.controller, $0.stopped) }
        guard !stopped else { return }
        var objects = objects(blue: weights.blue, green: weights.green)
        if let controller { objects = await controller.overlay(objects, revision: revision) }
        do {
            _ = try await engine.sync(objects, revision: revision, target: SyncTarget(name: "demo"))
            var live: [Object] = []
            for (apiVersion, kind, namespace) in [
                ("gateway.networking.k8s.io/v1", "GatewayClass", nil), ("gateway.networking.k8s.io/v1", "Gateway", "demo"),
                ("gateway.networking.k8s.io/v1", "HTTPRoute", "demo"), ("v1", "Service", "demo"),
                ("discovery.k8s.io/v1", "EndpointSlice", "demo"), ("v1", "Namespace", nil),
                ("gateway.networking.k8s.io/v1", "ListenerSet", "demo"),
            ] as [(String, String, String?)] {
                let resource = try await cluster.resourceKind(apiVersion: apiVersion, kind: kind)
                live += try await cluster.list(resource, namespace: namespace, options: ListOptions()).items
            }
            let route = live.first { $0.kind == "HTTPRoute" && $0.name == Self.route.name }
            let serving = (route?[FieldPath(parsing: "spec.rules[0].backendRefs")]?.arrayValue ?? [])
                .compactMap { $0["weight"]?.integerValue.map { Int($0) } }
            // Recorded right after the swap: the traffic counts attribute requests by it.
            let failures = try await proxy.install(RouteCompiler().compile(try ProxyInput(objects: live)).table)
            state.withLock {
                $0.serving = serving
                if !failures.isEmpty { $0.syncErrors.append("\(revision): not bound: \(failures)") }
            }
        } catch {
            state.withLock { $0.syncErrors.append("\(revision): \(error)") }
        }
    }

    /// The revision's objects, as `example-repo/base` has them, the backends on loopback.
    func objects(blue blueWeight: Int, green greenWeight: Int) -> [Object] {
        // Through a ListenerSet, the Gateway's own listener on port 80 serves another hostname.
        let gatewayListeners = options.viaListenerSet
            ? "allowedListeners: {namespaces: {from: Same}}\n  listeners:\n  - {name: http, protocol: HTTP, port: 80, hostname: other.example.test}"
            : "listeners:\n  - {name: http, protocol: HTTP, port: 80}"
        let listenerSet = options.viaListenerSet ? """
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: ListenerSet
            metadata: {name: shop-listeners, namespace: demo}
            spec:
              parentRef: {name: edge}
              listeners: [{name: shop-http, protocol: HTTP, port: 80, hostname: \(Self.host)}]
            """ : ""
        let parentRef = options.viaListenerSet ? "{kind: ListenerSet, name: shop-listeners, sectionName: shop-http}" : "{name: edge, sectionName: http}"
        let text = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: demo}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: sluice}
            spec: {controllerName: sluice.dev/gateway-controller}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: edge, namespace: demo}
            spec:
              gatewayClassName: sluice
              \(gatewayListeners)
            \(listenerSet)
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: shop-blue, namespace: demo}
            spec:
              ports: [{name: http, port: 8080, protocol: TCP}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: shop-green, namespace: demo}
            spec:
              ports: [{name: http, port: 8080, protocol: TCP}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: shop-blue-local
              namespace: demo
              labels: {kubernetes.io/service-name: shop-blue}
            addressType: IPv4
            endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]
            ports: [{name: http, port: \(blue.port), protocol: TCP}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: shop-green-local
              namespace: demo
              labels: {kubernetes.io/service-name: shop-green}
            addressType: IPv4
            endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]
            ports: [{name: http, port: \(green.port), protocol: TCP}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: shop, namespace: demo}
            spec:
              parentRefs: [\(parentRef)]
              hostnames: [\(Self.host)]
              rules:
              - matches: [{path: {type: PathPrefix, value: /}}]
                backendRefs:
                - {name: shop-blue, port: 8080, weight: \(blueWeight)}
                - {name: shop-green, port: 8080, weight: \(greenWeight)}
            ---
            apiVersion: sluice.dev/v1alpha1
            kind: Canary
            metadata: {name: shop, namespace: demo}
            spec:
              routeRef: {kind: HTTPRoute, name: shop}
              steps: [\(options.steps.map(String.init).joined(separator: ", "))]
              interval: \(options.interval)
              probes:
              - name: health
                request: {method: GET, path: /health, hostname: \(Self.host)}
                expect: {status: [200], maxLatency: \(options.maxLatency)}
                every: \(options.every)
              successRate: 0.99
              minRequests: \(options.minRequests)
              failureLimit: \(options.failureLimit)
            """
        return try! YAMLDecoder().objects(text, file: "revision.yaml")
    }

    // MARK: - Reading what happened

    /// The Canary as the cluster has it.
    func canary() async throws -> Canary {
        try await cluster.get(CanaryControl.reference(namespace: "demo", name: "shop")).decode(as: Canary.self)
    }

    /// The route's weights in the cluster.
    func liveWeights() async throws -> [Int] {
        let route = try await cluster.get(Self.route)
        return (route[FieldPath(parsing: "spec.rules[0].backendRefs")]?.arrayValue ?? []).compactMap { $0["weight"]?.integerValue.map { Int($0) } }
    }

    /// Waits until the Canary's status (in the cluster) satisfies `condition`; fails the test
    /// and returns the last status seen after `timeout`.
    @discardableResult
    func waitForStatus(
        _ what: String, timeout: Duration = .seconds(30), sourceLocation: Testing.SourceLocation = #_sourceLocation,
        _ condition: (CanaryStatus) -> Bool
    ) async throws -> CanaryStatus {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var last = CanaryStatus()
        while clock.now < deadline {
            if let status = try? await canary().status {
                last = status
                if condition(status) { return status }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting for \(what); last status: phase \(last.phase?.rawValue ?? "-") step \(last.step.map(String.init) ?? "-"), history \(last.history?.map(\.event) ?? []); sync errors: \(state.withLock { $0.syncErrors })", sourceLocation: sourceLocation)
        return last
    }

    /// Waits until the proxy serves `weights` (the sync after a transition has run).
    func waitForServing(_ weights: [Int], timeout: Duration = .seconds(10), sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            if state.withLock({ $0.serving }) == weights { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the proxy never served \(weights); it serves \(state.withLock { $0.serving })", sourceLocation: sourceLocation)
    }

    /// The Events recorded on the Canary, oldest first.
    func events() async throws -> [(reason: String, type: String, message: String)] {
        let kind = try await cluster.resourceKind(apiVersion: "v1", kind: "Event")
        return try await cluster.list(kind, namespace: "demo", options: ListOptions()).items
            .filter { $0.content["involvedObject"]?["kind"]?.stringValue == "Canary" }
            .sorted { ($0.content["lastTimestamp"]?.stringValue ?? "", $0.name) < ($1.content["lastTimestamp"]?.stringValue ?? "", $1.name) }
            .map { ($0.content["reason"]?.stringValue ?? "", $0.content["type"]?.stringValue ?? "", $0.content["message"]?.stringValue ?? "") }
    }

    var metricsText: String { registry.emitToString() }

    func stop() async {
        state.withLock { $0.stopped = true }
        // Waits for a sync under way: it must not install a table into a stopped proxy.
        await serial.run {}
        apiServer.cancel()
        try? await proxy.shutdown()
        await blue.stop()
        await green.stop()
    }

    /// Runs a blocking command (kubectl, the sluice executable) off the cooperative threads.
    static func run(_ command: [String]) async throws -> Shell.Outcome {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Shell.outcome(command) })
            }
        }
    }
}

/// Runs closures one at a time, in the order they were given.
actor SerialQueue {
    private var last: Task<Void, Never>?

    func run(_ work: @escaping @Sendable () async -> Void) async {
        let previous = last
        let task = Task {
            await previous?.value
            await work()
        }
        last = task
        await task.value
    }
}
