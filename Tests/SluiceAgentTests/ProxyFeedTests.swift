import Foundation
import Logging
import SluiceAgent
import SluiceKube
import SluiceModel
import SluiceProxy
import SluiceTestSupport
import Testing

/// The proxy core fed by the agent's cluster watch, its statuses written back, on the embedded
/// cluster: what `sluice run` wires together, in one process.
@Suite("Proxy feed")
struct ProxyFeedTests {
    @Test("a ListenerSet applied to the cluster is served, and its status and the Gateway's are written back; a GRPCRoute's too")
    func listenerSetThroughTheCluster() async throws {
        let backend = try await DemoBackends.endpoint(for: .init(name: "blue", port: 0)).bind()
        let serving = Task { try await backend.run() }
        defer { serving.cancel() }
        let directory = try TemporaryDirectory("sluice-proxy-feed")
        let cluster = try await EmbeddedCluster(dataDirectory: directory.url)
        let manifests = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: sluice}
            spec: {controllerName: sluice.dev/gateway-controller}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: apps}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: edge, namespace: apps}
            spec:
              gatewayClassName: sluice
              allowedListeners: {namespaces: {from: Same}}
              listeners: [{name: http, protocol: HTTP, port: 80, hostname: edge.test}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: ListenerSet
            metadata: {name: team, namespace: apps}
            spec:
              parentRef: {name: edge}
              listeners: [{name: team-http, protocol: HTTP, port: 80, hostname: team.test}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: blue, namespace: apps}
            spec: {ports: [{name: http, port: 8080}]}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: blue, namespace: apps, labels: {kubernetes.io/service-name: blue}}
            addressType: IPv4
            endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]
            ports: [{name: http, port: \(backend.port)}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: team, namespace: apps}
            spec:
              parentRefs: [{kind: ListenerSet, name: team}]
              rules: [{backendRefs: [{name: blue, port: 8080}]}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: echo, namespace: apps}
            spec:
              parentRefs: [{name: edge}]
              rules: [{backendRefs: [{name: blue, port: 8080}]}]
            """
        for object in try YAMLDecoder().objects(manifests, file: "feed.yaml") {
            _ = try await cluster.serverSideApply(object, options: ApplyOptions(fieldManager: "test"))
        }

        let listenerPort = try freeLoopbackPort()
        let proxy = try await ProxyServer.start(configuration: ProxyConfiguration(portOffset: listenerPort - 80))
        let logger = Logger(label: "test")
        let writer = GatewayStatusWriter(cluster: cluster, logger: logger)
        let running = Task {
            await proxy.run(source: ClusterProxyFeed(cluster: cluster, logger: logger)) { statuses in await writer.write(statuses) }
        }

        let served = await eventually(timeout: .seconds(20)) {
            await get(port: listenerPort, path: "/", host: "team.test")?.body.contains("\"backend\":\"blue\"") == true
        }
        #expect(served != nil, "team.test was not served through the ListenerSet")
        // The GRPCRoute holds the Gateway's own listener: edge.test is routed (to a backend that
        // speaks no HTTP/2, so not answered well: SluiceProxyTests has real gRPC on both sides).
        let viaGRPCRoute = await eventually(timeout: .seconds(20)) {
            await get(port: listenerPort, path: "/echo.Echo/Ping", host: "edge.test").map { $0.status != 404 } == true
        }
        #expect(viaGRPCRoute != nil, "edge.test was not routed by the GRPCRoute")

        let setReference = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "ListenerSet", namespace: "apps", name: "team")
        let gatewayReference = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: "apps", name: "edge")
        let written = await eventually(timeout: .seconds(20)) {
            let set = try? await cluster.get(setReference)
            let accepted = set?[FieldPath(parsing: "status.conditions")]?.arrayValue?.contains {
                $0["type"]?.stringValue == "Accepted" && $0["status"]?.stringValue == "True"
            }
            let attached = try? await cluster.get(gatewayReference)[FieldPath(parsing: "status.attachedListenerSets")]?.integerValue
            return accepted == true && attached == 1
        }
        let shown = (try? await cluster.get(setReference))?[FieldPath(parsing: "status")]?.jsonText() ?? "none"
        #expect(written != nil, "ListenerSet status: \(shown)")
        let listeners = try await cluster.get(setReference)[FieldPath(parsing: "status.listeners")]?.arrayValue ?? []
        #expect(listeners.first?["attachedRoutes"]?.integerValue == 1)
        let grpcReference = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "GRPCRoute", namespace: "apps", name: "echo")
        let accepted = await eventually(timeout: .seconds(20)) {
            let parents = try? await cluster.get(grpcReference)[FieldPath(parsing: "status.parents")]?.arrayValue
            return parents?.first?["conditions"]?.arrayValue?.contains {
                $0["type"]?.stringValue == "Accepted" && $0["status"]?.stringValue == "True"
            } == true
        }
        let grpcStatus = (try? await cluster.get(grpcReference))?[FieldPath(parsing: "status")]?.jsonText() ?? "none"
        #expect(accepted != nil, "GRPCRoute status: \(grpcStatus)")
        // The feed ends with its task; only then are the event loops stopped.
        running.cancel()
        await running.value
        try await proxy.shutdown()
    }
}
