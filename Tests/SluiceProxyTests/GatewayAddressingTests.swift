import SluiceModel
import Testing

@testable import SluiceProxy

/// Where the route compiler places Gateways: their own addresses, the pool, or the shared one.
@Suite("Gateway addresses")
struct GatewayAddressingTests {
    static let namespace = "apps"

    static func gateway(_ name: String, addresses: [GatewayAddress]? = nil, shown: [String] = []) -> Gateway {
        var spec = GatewaySpec(gatewayClassName: "sluice", listeners: [Listener(name: "http", port: 80, protocol: "HTTP")])
        spec.addresses = addresses
        var status: GatewayStatus?
        if !shown.isEmpty {
            status = GatewayStatus(addresses: shown.map { GatewayAddress(type: "IPAddress", value: $0) }, conditions: [], listeners: [])
        }
        return Gateway(
            apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: ObjectMeta(name: name, namespace: namespace),
            spec: spec, status: status)
    }

    static func compile(_ gateways: [Gateway], pool: [String] = [], shared: String? = "127.0.0.1") -> RouteCompiler.Output {
        var input = ProxyInput()
        input.gatewayClasses = [GatewayClass(
            apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: ObjectMeta(name: "sluice"),
            spec: GatewayClassSpec(controllerName: RouteCompiler.defaultControllerName))]
        input.gateways = gateways
        return RouteCompiler(addressing: .init(sharedAddress: shared, pool: pool)).compile(input)
    }

    static func status(_ output: RouteCompiler.Output, _ name: String) -> GatewayStatus? {
        let reference = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: namespace, name: name)
        guard case .gateway(let status)? = output.typedStatuses[reference] else { return nil }
        return status
    }

    static func addresses(_ output: RouteCompiler.Output, _ name: String) -> [String] {
        (status(output, name)?.addresses ?? []).compactMap(\.value)
    }

    static func condition(_ output: RouteCompiler.Output, _ name: String, _ type: String) -> Condition? {
        status(output, name)?.conditions?.first { $0.type == type }
    }

    @Test("--gateway-address-pool: addresses and IPv4 blocks in order, without network and broadcast, duplicates once")
    func poolParsing() throws {
        #expect(try RouteCompiler.Addressing.pool(parsing: "127.0.1.0/30, ::1,10.0.0.5,127.0.1.2") == ["127.0.1.1", "127.0.1.2", "::1", "10.0.0.5"])
        #expect(try RouteCompiler.Addressing.pool(parsing: "10.1.2.3/32") == ["10.1.2.3"])
        #expect(try RouteCompiler.Addressing.pool(parsing: "10.1.2.3/31") == ["10.1.2.2", "10.1.2.3"])
        #expect(try RouteCompiler.Addressing.pool(parsing: "10.1.0.0/16").count == 65534)
        #expect(try RouteCompiler.Addressing.pool(parsing: "0:0::1") == ["::1"])
        for bad in ["10.0.0.0/8", "nonsense", "::/64", "10.0.0.0/x", "300.1.1.1"] {
            #expect(throws: RouteCompiler.AddressPoolError.self, "\(bad)") { try RouteCompiler.Addressing.pool(parsing: bad) }
        }
    }

    @Test("without a pool every Gateway shares the bind address, and status shows it (nothing for a wildcard bind)")
    func shared() {
        let output = Self.compile([Self.gateway("a"), Self.gateway("b")])
        #expect(Self.addresses(output, "a") == ["127.0.0.1"])
        #expect(Self.addresses(output, "b") == ["127.0.0.1"])
        #expect(Array(output.table.sockets.keys) == [ListenerSocket(port: 80)])
        #expect(Self.status(Self.compile([Self.gateway("a")], shared: nil), "a")?.addresses == nil)
    }

    @Test("a pool hands out one address per Gateway in namespace/name order; an address a status shows is kept while free")
    func pool() {
        let fresh = Self.compile([Self.gateway("b"), Self.gateway("a")], pool: ["127.0.1.1", "127.0.1.2"])
        #expect(Self.addresses(fresh, "a") == ["127.0.1.1"])
        #expect(Self.addresses(fresh, "b") == ["127.0.1.2"])
        #expect(Set(fresh.table.sockets.keys) == [ListenerSocket(address: "127.0.1.1", port: 80), ListenerSocket(address: "127.0.1.2", port: 80)])

        // b was given .1 before a existed: it keeps it, a takes what is left.
        let kept = Self.compile([Self.gateway("a"), Self.gateway("b", shown: ["127.0.1.1"])], pool: ["127.0.1.1", "127.0.1.2"])
        #expect(Self.addresses(kept, "b") == ["127.0.1.1"])
        #expect(Self.addresses(kept, "a") == ["127.0.1.2"])

        // Two statuses showing one address: the first by name keeps it.
        let both = Self.compile([Self.gateway("a", shown: ["127.0.1.1"]), Self.gateway("b", shown: ["127.0.1.1"])], pool: ["127.0.1.1", "127.0.1.2"])
        #expect(Self.addresses(both, "a") == ["127.0.1.1"])
        #expect(Self.addresses(both, "b") == ["127.0.1.2"])

        // A shown address no longer in the pool is given up.
        let moved = Self.compile([Self.gateway("a", shown: ["127.0.9.9"])], pool: ["127.0.1.5"])
        #expect(Self.addresses(moved, "a") == ["127.0.1.5"])
    }

    @Test("spec.addresses: the Gateway's own, claimed before the pool hands any out; an empty value asks for one from the pool")
    func ownAddresses() {
        let output = Self.compile(
            [
                Self.gateway("a"),
                Self.gateway("b", addresses: [GatewayAddress(value: "127.0.1.1"), GatewayAddress(type: "IPAddress", value: "::1")]),
                Self.gateway("c", addresses: [GatewayAddress(type: "IPAddress")]),
            ],
            pool: ["127.0.1.1", "127.0.1.2", "127.0.1.3"])
        #expect(Self.addresses(output, "b") == ["127.0.1.1", "::1"])
        #expect(Self.addresses(output, "a") == ["127.0.1.2"])
        #expect(Self.addresses(output, "c") == ["127.0.1.3"])
        #expect(output.table.sockets[ListenerSocket(address: "::1", port: 80)]?.listeners.first?.gateways == ["apps/b"])
        #expect(output.listenerSockets.values.contains { $0["http"] == [ListenerSocket(address: "127.0.1.1", port: 80), ListenerSocket(address: "::1", port: 80)] })
    }

    @Test("an address type other than IPAddress is UnsupportedAddress; an empty pool is AddressNotAssigned; neither Gateway gets a socket")
    func unplaced() {
        let output = Self.compile(
            [
                Self.gateway("a", addresses: [GatewayAddress(type: "Hostname", value: "gw.example.com")]),
                Self.gateway("b"), Self.gateway("c"),
            ],
            pool: ["127.0.1.1"])
        let accepted = Self.condition(output, "a", "Accepted")
        #expect(accepted?.status == "False")
        #expect(accepted?.reason == "UnsupportedAddress")
        #expect(accepted?.message.contains("spec.addresses[0]") == true)
        #expect(Self.addresses(output, "b") == ["127.0.1.1"])
        let programmed = Self.condition(output, "c", "Programmed")
        #expect(programmed?.status == "False")
        #expect(programmed?.reason == "AddressNotAssigned")
        #expect(Self.condition(output, "c", "Accepted")?.status == "True")
        #expect(Self.status(output, "c")?.listeners?.first?.conditions.first { $0.type == "Programmed" }?.status == "False")
        #expect(output.table.sockets.keys.map(\.address) == ["127.0.1.1"])
    }

    @Test("a socket that could not be bound: its listeners PortUnavailable, the Gateway not Programmed (AddressNotUsable for a foreign address)")
    func unbound() {
        let output = Self.compile([Self.gateway("a", addresses: [GatewayAddress(value: "192.0.2.1")]), Self.gateway("b")])
        let marked = output.marking(unbound: [
            ListenerSocket(address: "192.0.2.1", port: 80): BindFailure(message: "cannot listen on 192.0.2.1", addressNotAvailable: true),
        ])
        #expect(Self.condition(marked, "a", "Programmed")?.reason == "AddressNotUsable")
        #expect(Self.status(marked, "a")?.addresses == nil)
        #expect(Self.addresses(marked, "b") == ["127.0.0.1"])
        #expect(Self.status(marked, "a")?.listeners?.first?.conditions.first { $0.type == "Accepted" }?.reason == "PortUnavailable")
        #expect(Self.condition(marked, "b", "Programmed")?.status == "True")

        let portTaken = output.marking(unbound: [ListenerSocket(port: 80): BindFailure(message: "in use", addressNotAvailable: false)])
        #expect(Self.condition(portTaken, "b", "Programmed")?.reason == "Invalid")
        #expect(Self.condition(portTaken, "a", "Programmed")?.status == "True")
    }

    @Test("the GatewayClass lists the features implemented, sorted; an empty address value is one only with an address to give")
    func supportedFeatures() {
        func features(_ addressing: RouteCompiler.Addressing) -> [String] {
            var input = ProxyInput()
            input.gatewayClasses = [GatewayClass(
                apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: ObjectMeta(name: "sluice"),
                spec: GatewayClassSpec(controllerName: RouteCompiler.defaultControllerName))]
            let reference = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", namespace: nil, name: "sluice")
            guard case .gatewayClass(let status)? = RouteCompiler(addressing: addressing).compile(input).typedStatuses[reference] else { return [] }
            return (status.supportedFeatures ?? []).map(\.name)
        }
        let shared = features(.init(sharedAddress: "127.0.0.1"))
        #expect(shared == shared.sorted())
        for name in ["Gateway", "HTTPRoute", "ReferenceGrant", "HTTPRouteCORS", "GatewayStaticAddresses", "GatewayAddressEmpty", "HTTPRouteBackendProtocolH2C"] {
            #expect(shared.contains(name), "\(name)")
        }
        #expect(shared.contains("ListenerSet"))
        for name in ["HTTPRouteRetry", "HTTPRouteRetryBackendTimeout"] { #expect(!shared.contains(name), "\(name)") }
        #expect(!features(.init(sharedAddress: nil)).contains("GatewayAddressEmpty"))
        #expect(features(.init(sharedAddress: nil, pool: ["127.0.1.1"])).contains("GatewayAddressEmpty"))
    }
}

