// ProxyBenchmark: serves the yardstick's route (shared/bench/proxy/README.md) with SluiceProxy, so
// `run.sh --candidate` measures it beside nginx and haproxy in one run. The configuration is
// generated as Gateway API objects and goes through the same RouteCompiler as the agent's.
//
//   swift build -c release --product ProxyBenchmark
//   ../shared/bench/proxy/run.sh --candidate '.build/release/ProxyBenchmark' \
//       --candidate-url http://127.0.0.1:18100/api/ --candidate-name sluice
//
// Environment (set by run.sh): BENCH_WORKERS (event-loop threads), BENCH_LISTEN_PORT, BENCH_HOST,
// BENCH_BLUE_ADDR, BENCH_GREEN_ADDR, BENCH_WEIGHT_BLUE, BENCH_WEIGHT_GREEN.

import Foundation
import SluiceModel
import SluiceProxy

let environment = ProcessInfo.processInfo.environment
func setting(_ name: String, _ fallback: String) -> String { environment[name] ?? fallback }

func endpoint(_ address: String) -> (host: String, port: Int) {
    let parts = address.split(separator: ":")
    return (String(parts[0]), Int(parts[1]) ?? 0)
}

let namespace = "bench"
let listenPort = Int(setting("BENCH_LISTEN_PORT", "18100")) ?? 18100
let threads = Int(setting("BENCH_WORKERS", "1")) ?? 1
let backends = [
    ("blue", endpoint(setting("BENCH_BLUE_ADDR", "127.0.0.1:18081")), Int(setting("BENCH_WEIGHT_BLUE", "90")) ?? 90),
    ("green", endpoint(setting("BENCH_GREEN_ADDR", "127.0.0.1:18082")), Int(setting("BENCH_WEIGHT_GREEN", "10")) ?? 10),
]

var input = ProxyInput()
input.gatewayClasses = [GatewayClass(
    apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: ObjectMeta(name: "sluice"),
    spec: GatewayClassSpec(controllerName: RouteCompiler.defaultControllerName))]
input.gateways = [Gateway(
    apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: ObjectMeta(name: "bench", namespace: namespace),
    spec: GatewaySpec(gatewayClassName: "sluice", listeners: [Listener(name: "http", port: listenPort, protocol: "HTTP")]))]
var rule = HTTPRouteRule(
    matches: [HTTPRouteMatch(path: .init(type: "PathPrefix", value: "/api"))],
    backendRefs: backends.map { HTTPBackendRef(name: $0.0, port: $0.1.port, weight: $0.2) })
var rewrite = HTTPRouteFilter(type: "URLRewrite")
rewrite.urlRewrite = HTTPRouteFilter.URLRewrite(hostname: nil, path: .init(type: "ReplacePrefixMatch", replaceFullPath: nil, replacePrefixMatch: "/"))
rule.filters = [rewrite]
input.httpRoutes = [HTTPRoute(
    apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: ObjectMeta(name: "bench", namespace: namespace),
    spec: HTTPRouteSpec(parentRefs: [ParentReference(name: "bench")], hostnames: [setting("BENCH_HOST", "app.example.test")], rules: [rule]))]
for (name, address, _) in backends {
    input.services.append(Service(
        apiVersion: "v1", kind: "Service", metadata: ObjectMeta(name: name, namespace: namespace),
        spec: ServiceSpec(ports: [.init(name: "http", port: address.port)])))
    input.endpointSlices.append(EndpointSlice(
        metadata: ObjectMeta(name: name, namespace: namespace, labels: [EndpointSlice.serviceNameLabel: name]),
        endpoints: [.init(addresses: [address.host], conditions: .init(ready: true))],
        ports: [.init(name: "http", port: address.port)]))
}

let output = RouteCompiler().compile(input)
let proxy = try await ProxyServer.start(configuration: ProxyConfiguration(threads: threads))
let failures = try await proxy.install(output.table)
guard failures.isEmpty else {
    FileHandle.standardError.write(Data("sluice proxy: \(failures.values.map(\.message).joined(separator: "; "))\n".utf8))
    exit(1)
}
print("sluice proxy: listening on 127.0.0.1:\(listenPort) with \(threads) event-loop thread(s)")
while true { try await Task.sleep(for: .seconds(3600)) }
