import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import SluiceAgent
import SluiceCanary
import SluiceGit
import SluiceKube
import SluiceProxy
import SluiceSync

extension Sluice {
    /// The long-running agent.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Keep a cluster in sync with a Git repository and serve its Gateways.",
            discussion: """
                Fetches --repo at --ref every --interval (and at once on a webhook), renders the \
                targets of <path>/sluice.yaml (or the kustomization at --path when there is none), \
                applies them with server-side apply, reports drift, steps canaries, and serves the \
                cluster's Gateways with the proxy core. With no --kubeconfig, KUBECONFIG or in-cluster \
                service account it runs the embedded default: its own API server, persisted in \
                --data-dir, with <data-dir>/kubeconfig for kubectl and the other subcommands. \
                SIGTERM or SIGINT stop it gracefully.
                """)

        @OptionGroup var source: GitSourceOptions

        @Option(help: "How often to fetch when no webhook arrives (Go duration; default: sluice.yaml's interval, else 30s).")
        var interval: String?

        @Option(help: "Kubeconfig of a real cluster (default: KUBECONFIG, then in-cluster, then the embedded default).")
        var kubeconfig: String?

        @Option(help: "HOST:PORT of the embedded API server (port 0 picks a free one).")
        var apiListen: String = "127.0.0.1:6443"

        @Option(help: "Added to each Gateway listener's port (80 + 8000 serves on 8080).")
        var listenerPortOffset: Int = 0

        @Option(help: "Address the proxy core binds its listeners to.")
        var proxyBind: String = "127.0.0.1"

        @Option(help: ArgumentHelp(
            "IP addresses and IPv4 CIDR blocks (comma-separated) handed out one per Gateway that names no address.",
            discussion: "Without it, such Gateways share --proxy-bind, and routes of Gateways with the same listener compete. 127.0.1.0/24 suits the embedded default."))
        var gatewayAddressPool: String?

        @Option(help: "Event-loop threads of the proxy core.")
        var proxyThreads: Int = 1

        @Option(help: "With no sluice.yaml: the target's name (its inventory is sluice-inventory-<name>).")
        var target: String = "default"

        @Option(help: "With no sluice.yaml: the namespace for objects that name none.")
        var namespace: String?

        @Option(help: "With no sluice.yaml: correct (re-apply) or alert (report only).")
        var driftMode: DriftMode = .correct

        @Option(help: "HOST:PORT for GitHub/GitLab/generic push webhooks (secret from SLUICE_WEBHOOK_SECRET).")
        var webhookListen: String?

        @Option(help: "URL drift, its resolution and canary rollbacks are POSTed to as JSON (Alertmanager or Slack bridges).")
        var alertWebhook: String?

        @Option(help: "HOST:PORT for /healthz, /readyz and /metrics.")
        var metricsListen: String = "127.0.0.1:9090"

        @Option(help: "text or json.")
        var logFormat: LogFormat = .text

        @Option(help: "trace, debug, info, notice, warning, error or critical.")
        var logLevel: String = "info"

        @Flag(help: "Start the blue and green demo upstreams example-repo points at (127.0.0.1:18081, :18082).")
        var demoBackends = false

        @Option(help: "This replica's name in the leader Lease (default: host name and process id).")
        var identity: String?

        @Option(help: .hidden)
        var leaseDuration: String = "15s"

        enum LogFormat: String, ExpressibleByArgument {
            case text, json
        }

        func run() async throws {
            guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("--log-level: unknown level \(logLevel)") }
            let format = logFormat
            LoggingSystem.bootstrap { label in
                var handler: any LogHandler = format == .json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            let configuration = try agentConfiguration()
            try await Agent(configuration: configuration, registry: registry, logger: Logger(label: "sluice")).run()
        }

        func agentConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AgentConfiguration {
            func duration(_ text: String, _ flag: String) throws -> Duration {
                do { return try GoDuration.parse(text) } catch { throw ValidationError("\(flag): \(error)") }
            }
            func listen(_ text: String, _ flag: String) throws -> AgentConfiguration.Listen {
                guard let listen = AgentConfiguration.Listen(text) else { throw ValidationError("\(flag) must be HOST:PORT, not \(text)") }
                return listen
            }
            let pollInterval = try interval.map { try duration($0, "--interval") }
            if let pollInterval, pollInterval < .seconds(1) { throw ValidationError("--interval must be at least 1s") }
            let lease = try duration(leaseDuration, "--lease-duration")
            guard lease >= .seconds(3) else { throw ValidationError("--lease-duration must be at least 3s") }

            let cluster = try ClusterOptions.realCluster(path: kubeconfig, environment: environment)
            let secret = environment["SLUICE_WEBHOOK_SECRET"]
            if webhookListen != nil, secret?.isEmpty ?? true {
                throw ValidationError("--webhook-listen needs SLUICE_WEBHOOK_SECRET: unsigned webhooks are refused")
            }
            let addressPool: [String]
            do { addressPool = try gatewayAddressPool.map { try RouteCompiler.Addressing.pool(parsing: $0) } ?? [] } catch {
                throw ValidationError("--gateway-address-pool: \(error)")
            }
            let host = ProcessInfo.processInfo.hostName
            return AgentConfiguration(
                source: SluiceAgent.RevisionSource(remote: try source.remote(), reference: try GitReference(parsing: source.ref), cache: source.cache),
                path: source.path,
                fallbackTarget: AgentTarget(path: source.path, sync: SyncTarget(name: target, namespace: namespace), driftMode: driftMode),
                interval: pollInterval, kubeconfig: cluster, dataDirectory: URL(fileURLWithPath: source.dataDir, isDirectory: true),
                apiListen: try listen(apiListen, "--api-listen"),
                proxy: ProxyConfiguration(
                    bindHost: proxyBind, addressPool: addressPool, portOffset: listenerPortOffset, threads: max(1, proxyThreads)),
                metricsListen: metricsListen.isEmpty ? nil : try listen(metricsListen, "--metrics-listen"),
                webhookListen: try webhookListen.map { try listen($0, "--webhook-listen") }, webhookSecret: secret,
                alertWebhook: alertWebhook,
                demoBackends: demoBackends,
                leaderElection: .init(
                    identity: identity ?? "\(host)-\(ProcessInfo.processInfo.processIdentifier)", leaseDuration: lease,
                    renewDeadline: lease * 2 / 3, retryPeriod: lease / 5))
        }
    }
}

extension DriftMode: ExpressibleByArgument {}
