import Foundation
import SluiceGit
import SluiceKube
import SluiceProxy
import SluiceSync

/// Everything `sluice run` was told.
public struct AgentConfiguration: Sendable {
    /// A host and port to listen on.
    public struct Listen: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// `HOST:PORT`, `:PORT` (loopback) or `[::1]:PORT`; nil when it is neither.
        public init?(_ text: String) {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
            var host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            self.init(host: host.isEmpty ? "127.0.0.1" : host, port: port)
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    public var source: RevisionSource
    /// The directory of the repository holding `sluice.yaml`, or the overlay itself when there is none.
    public var path: String
    /// The target synced when the repository has no `sluice.yaml`.
    public var fallbackTarget: AgentTarget
    /// The poll interval given on the command line; nil lets `sluice.yaml` choose (default 30 s).
    public var interval: Duration?
    /// A real cluster; nil runs the embedded default.
    public var kubeconfig: Kubeconfig?
    public var dataDirectory: URL
    public var apiListen: Listen
    public var proxy: ProxyConfiguration
    public var metricsListen: Listen?
    public var webhookListen: Listen?
    /// The shared secret webhook deliveries are checked with.
    public var webhookSecret: String?
    /// Where drift and canary rollbacks are POSTed as JSON besides Events, logs and metrics
    /// (Alertmanager or Slack bridges); nil for none.
    public var alertWebhook: String?
    /// Starts the blue and green demo upstreams example-repo points at.
    public var demoBackends: Bool
    /// The namespace of the inventories, the leader Lease and the agent's Events.
    public var systemNamespace: String
    public var leaderElection: LeaderLoop.Elector.Configuration

    public init(
        source: RevisionSource, path: String, fallbackTarget: AgentTarget, interval: Duration? = nil,
        kubeconfig: Kubeconfig? = nil, dataDirectory: URL, apiListen: Listen = Listen(host: "127.0.0.1", port: 6443),
        proxy: ProxyConfiguration = ProxyConfiguration(), metricsListen: Listen? = nil, webhookListen: Listen? = nil,
        webhookSecret: String? = nil, alertWebhook: String? = nil, demoBackends: Bool = false, systemNamespace: String = "sluice-system",
        leaderElection: LeaderLoop.Elector.Configuration
    ) {
        self.source = source
        self.path = path
        self.fallbackTarget = fallbackTarget
        self.interval = interval
        self.kubeconfig = kubeconfig
        self.dataDirectory = dataDirectory
        self.apiListen = apiListen
        self.proxy = proxy
        self.metricsListen = metricsListen
        self.webhookListen = webhookListen
        self.webhookSecret = webhookSecret
        self.alertWebhook = alertWebhook
        self.demoBackends = demoBackends
        self.systemNamespace = systemNamespace
        self.leaderElection = leaderElection
    }
}
