import Foundation
import SluiceModel
import SluiceProxy
import SluiceTestSupport

/// The upstream conformance manifests (Gateway API v1.6.1) from `../shared`, read at test time.
enum ConformanceManifests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/gateway-api/conformance")

    static let gatewayClassName = "sluice"

    /// The objects of `base/manifests.yaml` and the named test files, placeholders filled in.
    static func objects(_ testFiles: [String]) throws -> [Object] {
        var objects: [Object] = []
        for file in ["base/manifests.yaml"] + testFiles.map({ "tests/\($0)" }) {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
                .replacingOccurrences(of: "{GATEWAY_CLASS_NAME}", with: gatewayClassName)
                .replacingOccurrences(of: "{IMAGE_REGISTRY}", with: "registry.invalid")
            objects += try YAMLDecoder().objects(text, file: file)
        }
        return objects
    }
}

/// A certificate authority and a server certificate for the conformance TLS Secret (made by openssl
/// once per test run), valid for the hostnames the HTTPS tests use.
enum TestCertificates {
    struct Material: Sendable {
        var caPEM: [UInt8]
        var certificatePEM: [UInt8]
        var keyPEM: [UInt8]
    }

    static let shared: Result<Material, any Error> = Result {
        let directory = try TemporaryDirectory("sluice-proxy-tls")
        let path = { (name: String) in directory.path(name).path }
        try Shell.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=sluice test CA",
                       "-keyout", path("ca.key"), "-out", path("ca.crt")])
        try "subjectAltName=DNS:example.org,DNS:second-example.org,DNS:*.org,DNS:*.wildcard.org,DNS:*.example.org\n"
            .write(to: directory.path("san.ext"), atomically: true, encoding: .utf8)
        try Shell.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=example.org",
                       "-keyout", path("tls.key"), "-out", path("tls.csr")])
        try Shell.run(["openssl", "x509", "-req", "-in", path("tls.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"),
                       "-CAcreateserial", "-days", "2", "-extfile", path("san.ext"), "-out", path("tls.crt")])
        let read = { (name: String) in try [UInt8](Data(contentsOf: directory.path(name))) }
        return Material(caPEM: try read("ca.crt"), certificatePEM: try read("tls.crt"), keyPEM: try read("tls.key"))
    }

    static func secret(name: String, namespace: String) throws -> Secret {
        let material = try shared.get()
        return Secret(
            metadata: ObjectMeta(name: name, namespace: namespace),
            data: ["tls.crt": Data(material.certificatePEM).base64EncodedString(), "tls.key": Data(material.keyPEM).base64EncodedString()])
    }
}

/// The conformance setting made real on loopback: one echo server per Service, EndpointSlices
/// pointing at them, the GatewayClass `sluice`, and a proxy with a port offset.
final class ConformanceEnvironment: Sendable {
    let proxy: ProxyServer
    let echoes: [String: EchoServer]
    /// The compiled statuses, marked with the sockets that could not be bound.
    let output: RouteCompiler.Output
    let input: ProxyInput

    private init(proxy: ProxyServer, echoes: [String: EchoServer], output: RouteCompiler.Output, input: ProxyInput) {
        self.proxy = proxy
        self.echoes = echoes
        self.output = output
        self.input = input
    }

    /// Loads the base manifests and `testFiles`, starts echo servers and the proxy.
    static func start(_ testFiles: [String], configuration: ProxyConfiguration = ProxyConfiguration(), adjust: (inout ProxyInput) -> Void = { _ in }) async throws -> ConformanceEnvironment {
        var input = try ProxyInput(objects: try ConformanceManifests.objects(testFiles))
        input.gatewayClasses.append(GatewayClass(
            apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass",
            metadata: ObjectMeta(name: ConformanceManifests.gatewayClassName),
            spec: GatewayClassSpec(controllerName: RouteCompiler.defaultControllerName)))
        input.secrets.append(try TestCertificates.secret(name: "tls-validity-checks-certificate", namespace: "gateway-conformance-infra"))
        var echoes: [String: EchoServer] = [:]
        for service in input.services {
            let namespace = service.metadata.namespace ?? "default"
            let echo = try await EchoServer.start(pod: "\(service.metadata.name)-pod", namespace: namespace)
            echoes["\(namespace)/\(service.metadata.name)"] = echo
            input.endpointSlices.append(EndpointSlice(
                metadata: ObjectMeta(
                    name: "\(service.metadata.name)-slice", namespace: namespace,
                    labels: [EndpointSlice.serviceNameLabel: service.metadata.name]),
                endpoints: [.init(addresses: ["127.0.0.1"], conditions: .init(ready: true))],
                ports: (service.spec.ports ?? []).map { EndpointSlice.Port(name: $0.name, port: echo.port) }))
        }
        adjust(&input)
        let output = RouteCompiler(addressing: configuration.addressing).compile(input)
        var lastError: (any Error)?
        for _ in 0..<5 {
            var configuration = configuration
            configuration.portOffset = try freeLoopbackPort() - 80
            let proxy = try await ProxyServer.start(configuration: configuration)
            do {
                // A port free on 127.0.0.1 a moment ago may since be taken: try another offset.
                // An address that is not this machine's fails whatever the offset: a test asks for that.
                let failures = try await proxy.install(output.table)
                if failures.values.allSatisfy(\.addressNotAvailable) {
                    return ConformanceEnvironment(proxy: proxy, echoes: echoes, output: output.marking(unbound: failures), input: input)
                }
                lastError = PortsTaken(failures: failures)
            } catch {
                lastError = error
            }
            try? await proxy.shutdown()
        }
        throw lastError ?? CancellationError()
    }

    struct PortsTaken: Error {
        var failures: [ListenerSocket: BindFailure]
    }

    /// The base Gateway `same-namespace` (every hostname, port 80) routing everything to
    /// infra-backend-v1, whose endpoint is `upstreamPort` (a test's own upstream), with `routes`
    /// besides.
    static func routingEverything(
        toUpstreamPort upstreamPort: Int, routes: [String] = [], configuration: ProxyConfiguration = ProxyConfiguration()
    ) async throws -> ConformanceEnvironment {
        try await start(["httproute-simple-same-namespace.yaml"] + routes, configuration: configuration) { input in
            for index in input.endpointSlices.indices where input.endpointSlices[index].metadata.name == "infra-backend-v1-slice" {
                input.endpointSlices[index].ports = input.endpointSlices[index].ports?.map { EndpointSlice.Port(name: $0.name, port: upstreamPort) }
            }
        }
    }

    /// The socket port of a Gateway listener port.
    func port(_ listenerPort: Int = 80) async -> Int {
        await proxy.boundPort(listenerPort: listenerPort) ?? 0
    }

    func echo(_ name: String, namespace: String = "gateway-conformance-infra") -> EchoServer? {
        echoes["\(namespace)/\(name)"]
    }

    /// A Gateway's computed status.
    func gatewayStatus(_ name: String, namespace: String = "gateway-conformance-infra") -> GatewayStatus? {
        let reference = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: namespace, name: name)
        guard case .gateway(let status)? = output.typedStatuses[reference] else { return nil }
        return status
    }

    /// A ListenerSet's computed status.
    func listenerSetStatus(_ name: String, namespace: String = "gateway-conformance-infra") -> ListenerSetStatus? {
        let reference = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "ListenerSet", namespace: namespace, name: name)
        guard case .listenerSet(let status)? = output.typedStatuses[reference] else { return nil }
        return status
    }

    /// The conditions of a route's computed status for the parent named `parent` (of `kind`).
    func routeConditions(
        _ name: String, namespace: String = "gateway-conformance-infra", parent: String, kind: String = "Gateway",
        routeKind: String = "HTTPRoute"
    ) -> [String: (status: String, reason: String)] {
        let reference = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: routeKind, namespace: namespace, name: name)
        var result: [String: (status: String, reason: String)] = [:]
        for entry in output.statuses[reference]?.objectValue?["parents"]?.arrayValue ?? [] {
            let parentRef = entry["parentRef"]
            guard parentRef?["name"]?.stringValue == parent, (parentRef?["kind"]?.stringValue ?? "Gateway") == kind else { continue }
            for condition in entry["conditions"]?.arrayValue ?? [] {
                guard let object = condition.objectValue, let type = object["type"]?.stringValue else { continue }
                result[type] = (object["status"]?.stringValue ?? "", object["reason"]?.stringValue ?? "")
            }
        }
        return result
    }

    /// The conditions of one parent in an HTTPRoute's computed status.
    func routeConditions(_ name: String, namespace: String = "gateway-conformance-infra") -> [String: (status: String, reason: String)] {
        let reference = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: namespace, name: name)
        var result: [String: (status: String, reason: String)] = [:]
        for parent in output.statuses[reference]?.objectValue?["parents"]?.arrayValue ?? [] {
            for condition in parent.objectValue?["conditions"]?.arrayValue ?? [] {
                guard let object = condition.objectValue, let type = object["type"]?.stringValue else { continue }
                result[type] = (object["status"]?.stringValue ?? "", object["reason"]?.stringValue ?? "")
            }
        }
        return result
    }

    /// How many parents an HTTPRoute's computed status lists.
    func routeParentCount(_ name: String, namespace: String = "gateway-conformance-infra") -> Int {
        let reference = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: namespace, name: name)
        return output.statuses[reference]?.objectValue?["parents"]?.arrayValue?.count ?? 0
    }

    /// Each listener's `attachedRoutes` in a Gateway's computed status, by listener name.
    func attachedRoutes(gateway name: String, namespace: String = "gateway-conformance-infra") -> [String: Int] {
        let reference = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: namespace, name: name)
        var result: [String: Int] = [:]
        for listener in output.statuses[reference]?.objectValue?["listeners"]?.arrayValue ?? [] {
            guard let object = listener.objectValue, let listenerName = object["name"]?.stringValue else { continue }
            result[listenerName] = Int(object["attachedRoutes"]?.integerValue ?? -1)
        }
        return result
    }

    func stop() async {
        try? await proxy.shutdown()
        for (_, echo) in echoes { await echo.stop() }
    }
}
