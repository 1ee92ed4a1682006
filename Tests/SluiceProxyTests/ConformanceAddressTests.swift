import NIOConcurrencyHelpers
import SluiceModel
import SluiceProxy
import Testing

@Suite("Conformance: Gateway addresses")
struct ConformanceAddressTests {
    static let infra = "gateway-conformance-infra"

    /// A pool on loopback: Linux answers on all of 127.0.0.0/8, so each Gateway can have a socket of its own.
    static func pooled() throws -> ProxyConfiguration {
        var configuration = ProxyConfiguration()
        configuration.addressPool = try RouteCompiler.Addressing.pool(parsing: "127.0.1.0/28")
        return configuration
    }

    @Test("HTTPRouteMultipleGateways: each Gateway serves its dedicated route at its own address, the shared route at both")
    func multipleGateways() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-multiple-gateways.yaml"], configuration: try Self.pooled())
        defer { Task { await env.stop() } }
        let same = env.gatewayStatus("same-namespace")?.addresses ?? []
        let all = env.gatewayStatus("all-namespaces")?.addresses ?? []
        #expect(same.count == 1 && all.count == 1 && same != all, "\(same) \(all)")
        #expect(same.allSatisfy { $0.type == "IPAddress" })
        for route in ["multiple-gateways-shared-route", "same-namespace-dedicated-route", "all-namespaces-dedicated-route"] {
            #expect(env.routeConditions(route)["Accepted"]?.status == "True", "\(route)")
        }
        try await env.expect(
            [Case(path: "/shared", backend: "infra-backend-v1"), Case(path: "/", backend: "infra-backend-v2")],
            gateway: "same-namespace")
        try await env.expect(
            [Case(path: "/shared", backend: "infra-backend-v1"), Case(path: "/", backend: "infra-backend-v3")],
            gateway: "all-namespaces")
        // What the canary's probes use agrees with the status.
        let endpoint = await env.proxy.boundEndpoint(gateway: "\(Self.infra)/all-namespaces", listenerPort: 80)
        #expect(endpoint?.host == all.first?.value)
    }

    @Test("spec.addresses: a Gateway is served at its own address only; one that is not this machine's is AddressNotUsable, the rest still served")
    func staticAddresses() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-simple-same-namespace.yaml"]) { input in
            for index in input.gateways.indices {
                switch input.gateways[index].metadata.name {
                case "same-namespace": input.gateways[index].spec.addresses = [GatewayAddress(type: "IPAddress", value: "127.0.2.7")]
                // TEST-NET-1 (RFC 5737): never an address of this machine.
                case "all-namespaces": input.gateways[index].spec.addresses = [GatewayAddress(value: "192.0.2.10")]
                default: break
                }
            }
        }
        defer { Task { await env.stop() } }
        #expect(env.gatewayStatus("same-namespace")?.addresses == [GatewayAddress(type: "IPAddress", value: "127.0.2.7")])
        try await env.expect([Case(path: "/", backend: "infra-backend-v1")], gateway: "same-namespace")
        // The shared address serves the other Gateways on port 80, which this route is not attached to.
        try await env.expect([Case(path: "/", status: 404)])

        let unusable = try #require(env.gatewayStatus("all-namespaces"))
        let programmed = unusable.conditions?.first { $0.type == "Programmed" }
        #expect(programmed?.status == "False")
        #expect(programmed?.reason == "AddressNotUsable")
        #expect(programmed?.message.contains("192.0.2.10") == true, "\(programmed?.message ?? "")")
        let listener = unusable.listeners?.first?.conditions.first { $0.type == "Accepted" }
        #expect(listener?.reason == "PortUnavailable")
        #expect(env.gatewayStatus("same-namespace")?.conditions?.first { $0.type == "Programmed" }?.status == "True")
    }

    @Test("GatewayStaticAddresses: an unsupported type is UnsupportedAddress; then an unusable address AddressNotUsable; then served at the usable one alone")
    func staticAddressSteps() async throws {
        let env = try await ConformanceEnvironment.start(["httproute-simple-same-namespace.yaml"])
        defer { Task { await env.stop() } }
        let statuses = NIOLockedValueBox<[ObjectReference: JSONValue]>([:])
        let source = ProxyInputStream()
        let running = Task { await env.proxy.run(source: source) { written in statuses.withLockedValue { $0 = written } } }
        defer { source.finish(); running.cancel() }
        let gateway = ObjectReference(
            apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: Self.infra, name: "same-namespace")
        let usable = "127.0.4.9"
        // TEST-NET-1 (RFC 5737): never an address of this machine.
        let unusable = "192.0.2.77"

        /// Feeds the base input with `addresses` on the Gateway and waits for its status to show `reason` for `type`.
        func step(_ addresses: [GatewayAddress], _ type: String, _ reason: String) async throws -> JSONValue? {
            var input = env.input
            for index in input.gateways.indices where input.gateways[index].metadata.name == "same-namespace" {
                input.gateways[index].spec.addresses = addresses
            }
            statuses.withLockedValue { $0 = [:] }
            source.yield(input)
            try await eventually(timeout: .seconds(10)) { statuses.withLockedValue { $0[gateway] } != nil }
            let status = statuses.withLockedValue { $0[gateway] }
            let condition = status?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
            #expect(condition?["reason"]?.stringValue == reason, "\(type): \(condition.map { $0.jsonText() } ?? "none")")
            return status
        }

        _ = try await step(
            [GatewayAddress(type: "test/fake-invalid-type", value: "fake address teehee!"), GatewayAddress(value: unusable), GatewayAddress(value: usable)],
            "Accepted", "UnsupportedAddress")
        let notUsable = try await step([GatewayAddress(value: unusable), GatewayAddress(value: usable)], "Programmed", "AddressNotUsable")
        #expect(notUsable?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Accepted" }?["status"]?.stringValue == "True")
        #expect(notUsable?["addresses"]?.arrayValue?.compactMap { $0["value"]?.stringValue } == [usable])
        let served = try await step([GatewayAddress(value: usable)], "Programmed", "Programmed")
        let shown = served?["addresses"]?.arrayValue ?? []
        #expect(shown.count == 1)
        #expect(shown.first?["value"]?.stringValue == usable)
        #expect(shown.first?["type"]?.stringValue == "IPAddress")
        let response = try await TestConnection.get(port: 80 + env.proxy.configuration.portOffset, address: usable, "/", host: "gw.test")
        #expect(response.echo?.pod == "infra-backend-v1-pod")
    }

    @Test("GatewayOptionalAddressValue: an IPAddress with no value is given one, from the pool or the bind address", arguments: [false, true])
    func optionalAddressValue(pooled: Bool) async throws {
        let configuration = pooled ? try Self.pooled() : ProxyConfiguration()
        let env = try await ConformanceEnvironment.start(["httproute-simple-same-namespace.yaml"], configuration: configuration) { input in
            for index in input.gateways.indices where input.gateways[index].metadata.name == "same-namespace" {
                input.gateways[index].spec.addresses = [GatewayAddress(type: "IPAddress")]
            }
        }
        defer { Task { await env.stop() } }
        let shown = env.gatewayStatus("same-namespace")?.addresses?.compactMap(\.value) ?? []
        #expect(shown.count == 1)
        #expect(pooled ? shown.first?.hasPrefix("127.0.1.") == true : shown == ["127.0.0.1"], "\(shown)")
        try await env.expect([Case(path: "/", backend: "infra-backend-v1")], gateway: "same-namespace")
    }
}
