import Foundation
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle
import SluiceCanary
import SluiceKube
import SluiceModel
import SluiceProxy
import SluiceRender
import SluiceSync

/// The long-running agent (`sluice run`): fetches the repository on a poll interval and on
/// webhooks, syncs every target, serves the cluster's Gateways with the proxy core, and exposes
/// health and metrics. Without a kubeconfig it brings its own API server (the embedded default).
public struct Agent: Sendable {
    public let configuration: AgentConfiguration
    /// Where every metric of the agent is kept; `/metrics` prints it.
    public let registry: PrometheusCollectorRegistry
    let logger: Logger

    public init(configuration: AgentConfiguration, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), logger: Logger) {
        self.configuration = configuration
        self.registry = registry
        self.logger = logger
    }

    /// Runs until SIGTERM or SIGINT (or the task is cancelled), then shuts down in reverse order
    /// of start: writers first, listeners last, the leader lease released on the way.
    public func run() async throws {
        let client = try configuration.kubeconfig.map { try KubeCluster($0) }
        // The client is shut down however the run ends: one released while running traps in
        // debug builds, which would hide the error that ended the run (a port in use, say).
        do {
            try await run(client: client)
        } catch {
            try? await client?.shutdown()
            throw error
        }
        try? await client?.shutdown()
        logger.info("stopped")
    }

    private func run(client: KubeCluster?) async throws {
        let metrics = PrometheusMetricsFactory(registry: registry)
        var services: [ClosureService] = []

        let cluster: any Cluster
        if let client, let kubeconfig = configuration.kubeconfig {
            cluster = client
            logger.info("using the cluster at \(kubeconfig.server)")
        } else {
            cluster = try await startEmbeddedCluster(into: &services)
        }
        try await bootstrap(cluster)

        let proxy = try await ProxyServer.start(configuration: configuration.proxy)
        let trigger = SyncTrigger()
        let leadership = Leadership()
        let statusWriter = GatewayStatusWriter(cluster: cluster, logger: logger)
        let feed = ClusterProxyFeed(cluster: cluster, logger: logger)
        services.append(ClosureService("proxy") {
            await proxy.run(source: feed) { statuses in
                if await leadership.isLeader { await statusWriter.write(statuses) }
            }
            try await proxy.shutdown()
        })
        let pool = configuration.proxy.addressPool
        logger.info("""
            proxy core serving Gateway listeners on \(configuration.proxy.bindHost)\
            \(pool.isEmpty ? "" : " (and one of \(pool.count) pool addresses per Gateway that names none)"), \
            port = listener port + \(configuration.proxy.portOffset)
            """)

        if configuration.demoBackends {
            for backend in DemoBackends.standard {
                let listening = try await DemoBackends.endpoint(for: backend).bind()
                logger.info("demo backend \(backend.name) on 127.0.0.1:\(listening.port)")
                services.append(ClosureService("demo-\(backend.name)") { try await listening.run() })
            }
        }

        let engine = SyncEngine(cluster: cluster)
        let drift = DriftDetector(cluster: cluster, alerts: DriftAlerts(webhookURL: configuration.alertWebhook), metrics: metrics, logger: logger)
        let canary = CanaryController(
            cluster: cluster,
            proxy: ProbeTarget { gateway, listenerPort in
                await proxy.boundEndpoint(gateway: "\(gateway.namespace ?? "default")/\(gateway.name)", listenerPort: listenerPort)
            },
            stats: proxy.stats, clock: ContinuousClock(), metrics: metrics, logger: logger,
            configuration: .init(alerts: CanaryAlerts(webhookURL: configuration.alertWebhook))
        ) {
            // A step changed: apply the current revision again, with the new step's weights.
            await trigger.fire(apply: true)
        }
        let coordinator = SyncCoordinator(
            source: configuration.source, cluster: cluster, engine: engine,
            settings: .init(root: configuration.path, fallbackTarget: configuration.fallbackTarget, inventoryNamespace: configuration.systemNamespace),
            overlay: canary, tracker: drift, metrics: metrics, logger: logger, isLeader: { await leadership.isLeader })
        services.append(ClosureService("drift") { try await drift.run() })
        services.append(ClosureService("canary") { try await canary.run() })

        if let listen = configuration.metricsListen {
            let endpoint = OperationsEndpoint(registry: registry, proxyStats: proxy.stats, coordinator: coordinator, leadership: leadership)
            let listening = try await endpoint.server(listen).bind()
            logger.info("health and metrics on http://\(AgentConfiguration.Listen(host: listen.host, port: listening.port))/metrics")
            services.append(ClosureService("operations") { try await listening.run() })
        }
        if let listen = configuration.webhookListen, let secret = configuration.webhookSecret {
            let receiver = WebhookEndpoint(receiver: WebhookReceiver(secret: secret), logger: logger) { await trigger.fire(fetch: true) }
            let listening = try await receiver.server(listen).bind()
            logger.info("webhook receiver on http://\(AgentConfiguration.Listen(host: listen.host, port: listening.port))/")
            services.append(ClosureService("webhook") { try await listening.run() })
        }

        if configuration.kubeconfig != nil {
            let loop = LeaderLoop(
                cluster: cluster, namespace: configuration.systemNamespace, configuration: configuration.leaderElection, logger: logger
            ) { change in
                await leadership.set(change == .becameLeader)
                if change == .becameLeader { await trigger.fire(fetch: true, apply: true) }
            }
            services.append(ClosureService("leader-election") { await loop.run() })
        } else {
            // The embedded API belongs to this process alone: there is no one to elect.
            await leadership.set(true)
        }

        let interval = configuration.interval
        services.append(ClosureService("poll") {
            while !Task.isCancelled {
                await trigger.fire(fetch: true)
                let fromLayout = await coordinator.layoutInterval
                try await Task.sleep(for: interval ?? fromLayout ?? .seconds(30))
            }
        })
        let (retries, retry) = AsyncStream.makeStream(of: Duration.self, bufferingPolicy: .bufferingNewest(1))
        services.append(ClosureService("sync") {
            var backoff = RetryBackoff()
            for await _ in trigger.wakeups {
                let request = await trigger.take()
                if request.apply { await coordinator.requestApply() }
                let outcome = await coordinator.reconcile(fetch: request.fetch)
                if case .failed(_, let stage, _) = outcome, RetryBackoff.retryableStages.contains(stage) {
                    retry.yield(backoff.next())
                } else {
                    backoff.reset()
                }
            }
        })
        // A fetch or an apply that failed for want of the Git server or the API server is tried
        // again after 1, 2, 4… s (at most 30 s), not only at the next poll.
        services.append(ClosureService("retry") {
            for await delay in retries {
                try await Task.sleep(for: delay)
                await trigger.fire(fetch: true)
            }
        })

        let group = ServiceGroup(
            configuration: .init(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0, serviceName: $0.description) },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The embedded default: the object store in the data directory and its HTTPS API on
    /// loopback, with a kubeconfig for kubectl and the one-shot subcommands.
    private func startEmbeddedCluster(into services: inout [ClosureService]) async throws -> EmbeddedCluster {
        let directory = configuration.dataDirectory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cluster = try await EmbeddedCluster(dataDirectory: directory)
        let credentials = try ServerCredentials.loadOrCreate(in: directory)
        let server = APIServer(
            cluster: cluster, credentials: credentials,
            configuration: .init(host: configuration.apiListen.host, port: configuration.apiListen.port),
            logger: logger)
        let running = try await server.bind(writingKubeconfigInto: directory)
        logger.info("embedded Kubernetes API at \(running.url); kubeconfig: \(directory.appendingPathComponent("kubeconfig").path)")
        services.append(ClosureService("api-server") { try await server.serve(running) })
        return cluster
    }

    /// What the agent needs before its first sync: its own namespace, and on the embedded
    /// default what deploy/ installs in a real cluster (the GatewayClass and the Canary CRD).
    private func bootstrap(_ cluster: any Cluster) async throws {
        guard configuration.kubeconfig == nil else { return }
        let options = ApplyOptions(fieldManager: "sluice-agent", force: true)
        let namespace = Object(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(configuration.systemNamespace)]])
        let gatewayClass = Object([
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": ["name": "sluice"],
            "spec": ["controllerName": .string(RouteCompiler.defaultControllerName)],
        ])
        for object in [namespace, CanarySpec.customResourceDefinition, gatewayClass] {
            _ = try await cluster.serverSideApply(object, options: options)
        }
    }
}

/// Whether this process may write; set by leader election (always true on the embedded default).
actor Leadership {
    private(set) var isLeader = false
    func set(_ leading: Bool) { isLeader = leading }
}
