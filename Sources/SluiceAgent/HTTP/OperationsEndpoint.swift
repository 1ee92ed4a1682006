import Prometheus
import SluiceProxy

/// `/healthz`, `/readyz` and `/metrics` on `--metrics-listen`, as a kubelet and Prometheus
/// expect them.
struct OperationsEndpoint: Sendable {
    let registry: PrometheusCollectorRegistry
    let proxyStats: ProxyStats
    let coordinator: SyncCoordinator
    let leadership: Leadership

    func server(_ listen: AgentConfiguration.Listen) -> HTTPEndpoint {
        HTTPEndpoint(name: "operations", host: listen.host, port: listen.port) { request in
            switch request.path {
            case "/healthz", "/livez":
                return .init(body: "ok\n")
            case "/readyz":
                return await readiness()
            case "/metrics":
                let text = registry.emitToString() + proxyStats.prometheusText()
                return .init(contentType: "text/plain; version=0.0.4; charset=utf-8", bytes: Array(text.utf8))
            default:
                return .init(status: .notFound, body: "not found: try /healthz, /readyz or /metrics\n")
            }
        }
    }

    /// Ready once the leader applied a revision (a standby is ready at once: it serves traffic);
    /// the body lists each target's revision and last error.
    private func readiness() async -> HTTPEndpoint.Response {
        let leading = await leadership.isLeader
        let applied = await coordinator.appliedRevision
        var lines = ["leader: \(leading)", "applied revision: \(applied ?? "none")"]
        for status in await coordinator.targetStatuses {
            var line = "target \(status.name): revision \(status.appliedRevision ?? "none")"
            if let changes = status.lastChanges { line += ", \(changes)" }
            if let error = status.lastError { line += ", last error: \(error)" }
            lines.append(line)
        }
        let ready = !leading || applied != nil
        return .init(status: ready ? .ok : .serviceUnavailable, body: lines.joined(separator: "\n") + "\n")
    }
}
