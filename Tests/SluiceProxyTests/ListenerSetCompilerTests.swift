import Foundation
import SluiceModel
import Testing

@testable import SluiceProxy

/// ListenerSets in the route compiler, values only: which attach, conflicts, statuses.
@Suite("ListenerSets")
struct ListenerSetCompilerTests {
    static func gateway(_ name: String = "gw", namespace: String = "apps", from: String?, listeners: [Listener]? = nil) -> Gateway {
        var spec = GatewaySpec(
            gatewayClassName: "sluice", listeners: listeners ?? [Listener(name: "http", hostname: "gw.test", port: 80, protocol: "HTTP")])
        spec.allowedListeners = from.map { AllowedListeners(namespaces: .init(from: $0)) }
        return Gateway(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: ObjectMeta(name: name, namespace: namespace), spec: spec)
    }

    static func set(_ name: String, namespace: String = "apps", created: String = "2026-11-30T00:00:00Z", listeners: [Listener]) -> ListenerSet {
        var metadata = ObjectMeta(name: name, namespace: namespace)
        metadata.creationTimestamp = created
        return ListenerSet(
            apiVersion: "gateway.networking.k8s.io/v1", kind: "ListenerSet", metadata: metadata,
            spec: ListenerSetSpec(parentRef: .init(name: "gw", namespace: "apps"), listeners: listeners))
    }

    static func compile(
        _ gateways: [Gateway], _ sets: [ListenerSet], namespaces: [Namespace] = [], secrets: [Secret] = [], grants: [ReferenceGrant] = []
    ) -> RouteCompiler.Output {
        var input = ProxyInput()
        input.gatewayClasses = [GatewayClass(
            apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: ObjectMeta(name: "sluice"),
            spec: GatewayClassSpec(controllerName: RouteCompiler.defaultControllerName))]
        input.gateways = gateways
        input.listenerSets = sets
        input.namespaces = namespaces
        input.secrets = secrets
        input.referenceGrants = grants
        return RouteCompiler().compile(input)
    }

    static func status(_ output: RouteCompiler.Output, _ name: String, namespace: String = "apps") -> ListenerSetStatus? {
        let reference = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "ListenerSet", namespace: namespace, name: name)
        guard case .listenerSet(let status)? = output.typedStatuses[reference] else { return nil }
        return status
    }

    static func condition(_ status: ListenerSetStatus?, _ type: String) -> (String, String)? {
        status?.conditions?.first { $0.type == type }.map { ($0.status, $0.reason) }
    }

    static func listenerCondition(_ status: ListenerSetStatus?, _ listener: String, _ type: String) -> (String, String)? {
        status?.listeners?.first { $0.name == listener }?.conditions.first { $0.type == type }.map { ($0.status, $0.reason) }
    }

    static func attached(_ output: RouteCompiler.Output, _ gateway: String = "gw") -> Int? {
        let reference = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: "apps", name: gateway)
        guard case .gateway(let status)? = output.typedStatuses[reference] else { return nil }
        return status.attachedListenerSets
    }

    static let extra = [Listener(name: "extra", hostname: "extra.test", port: 80, protocol: "HTTP")]

    @Test("allowedListeners: None by default, Same, All, Selector on the namespace's labels")
    func allowedListeners() throws {
        let refused = Self.compile([Self.gateway(from: nil)], [Self.set("s", listeners: Self.extra)])
        #expect(Self.condition(Self.status(refused, "s"), "Accepted")! == ("False", "NotAllowed"))
        #expect(Self.condition(Self.status(refused, "s"), "Programmed")! == ("False", "NotAllowed"))
        #expect(Self.attached(refused) == 0)
        #expect(refused.table.sockets[ListenerSocket(port: 80)]?.listeners.map(\.name) == ["http"])

        let same = Self.compile([Self.gateway(from: "Same")], [Self.set("s", listeners: Self.extra), Self.set("t", namespace: "other", listeners: Self.extra)])
        #expect(Self.condition(Self.status(same, "s"), "Accepted")! == ("True", "Accepted"))
        #expect(Self.condition(Self.status(same, "t", namespace: "other"), "Accepted")! == ("False", "NotAllowed"))
        #expect(Self.attached(same) == 1)
        #expect(Set(same.table.sockets[ListenerSocket(port: 80)]?.listeners.map(\.name) ?? []) == ["http", "extra"])

        let labelled = Namespace(name: "teams", labels: ["gateway": "yes"])
        var selecting = Self.gateway(from: "Selector")
        selecting.spec.allowedListeners?.namespaces?.selector = try JSONDecoder().decode(
            LabelSelector.self, from: Data(#"{"matchLabels": {"gateway": "yes"}}"#.utf8))
        let selected = Self.compile(
            [selecting], [Self.set("s", namespace: "teams", listeners: Self.extra), Self.set("t", namespace: "other", listeners: Self.extra)],
            namespaces: [labelled, Namespace(name: "other")])
        #expect(Self.condition(Self.status(selected, "s", namespace: "teams"), "Accepted")?.0 == "True")
        #expect(Self.condition(Self.status(selected, "t", namespace: "other"), "Accepted")?.0 == "False")
        #expect(Self.condition(Self.status(Self.compile([Self.gateway(from: "All")], [Self.set("t", namespace: "other", listeners: Self.extra)]), "t", namespace: "other"), "Accepted")?.0 == "True")
    }

    @Test("conflicts: the Gateway's listeners first, then sets oldest first; a later listener with the same port and hostname, or another protocol on the port, is not served")
    func conflicts() throws {
        let output = Self.compile(
            [Self.gateway(from: "All")],
            [
                Self.set("newer", created: "2026-11-30T02:00:00Z", listeners: [Listener(name: "dup", hostname: "older.test", port: 80, protocol: "HTTP")]),
                Self.set("older", created: "2026-11-30T01:00:00Z", listeners: [
                    Listener(name: "dup", hostname: "older.test", port: 80, protocol: "HTTP"),
                    Listener(name: "same-as-gateway", hostname: "gw.test", port: 80, protocol: "HTTP"),
                ]),
                Self.set("tls", created: "2026-11-30T03:00:00Z", listeners: [
                    try JSONDecoder().decode(Listener.self, from: Data(#"""
                        {"name": "https-on-80", "hostname": "secure.test", "port": 80, "protocol": "HTTPS",
                         "tls": {"mode": "Terminate", "certificateRefs": [{"name": "cert"}]}}
                        """#.utf8)),
                ]),
            ],
            secrets: [try TestCertificates.secret(name: "cert", namespace: "apps")])
        let older = Self.status(output, "older")
        #expect(Self.condition(older, "Accepted")! == ("True", "Accepted"))
        #expect(Self.listenerCondition(older, "dup", "Conflicted")! == ("False", "NoConflicts"))
        #expect(Self.listenerCondition(older, "same-as-gateway", "Conflicted")! == ("True", "HostnameConflict"))
        #expect(Self.listenerCondition(older, "same-as-gateway", "Accepted")! == ("False", "HostnameConflict"))
        #expect(Self.listenerCondition(older, "same-as-gateway", "Programmed")! == ("False", "HostnameConflict"))
        let newer = Self.status(output, "newer")
        #expect(Self.listenerCondition(newer, "dup", "Conflicted")! == ("True", "HostnameConflict"))
        #expect(Self.condition(newer, "Accepted")! == ("False", "ListenersNotValid"))
        #expect(Self.condition(newer, "Programmed")! == ("False", "ListenersNotValid"))
        #expect(Self.listenerCondition(Self.status(output, "tls"), "https-on-80", "Conflicted")?.1 == "ProtocolConflict")
        #expect(Self.attached(output) == 1)
        let served = output.table.sockets[ListenerSocket(port: 80)]?.listeners ?? []
        #expect(served.map { $0.hostname?.value } == ["older.test", "gw.test"])
        #expect(served.allSatisfy { $0.gateways == ["apps/gw"] })
    }

    @Test("a Gateway's own listeners conflict as a set's do: HTTPS on the port of an HTTP listener before it is ProtocolConflict, not served")
    func gatewayOwnConflicts() throws {
        let https = try JSONDecoder().decode(Listener.self, from: Data(#"""
            {"name": "https-on-80", "hostname": "secure.test", "port": 80, "protocol": "HTTPS",
             "tls": {"mode": "Terminate", "certificateRefs": [{"name": "cert"}]}}
            """#.utf8))
        let output = Self.compile(
            [Self.gateway(from: nil, listeners: [Listener(name: "http", hostname: "gw.test", port: 80, protocol: "HTTP"), https])], [],
            secrets: [try TestCertificates.secret(name: "cert", namespace: "apps")])
        let reference = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: "apps", name: "gw")
        guard case .gateway(let status)? = output.typedStatuses[reference] else {
            Issue.record("no Gateway status")
            return
        }
        func listener(_ name: String, _ type: String) -> (String, String)? {
            status.listeners?.first { $0.name == name }?.conditions.first { $0.type == type }.map { ($0.status, $0.reason) }
        }
        #expect(listener("http", "Conflicted")! == ("False", "NoConflicts"))
        #expect(listener("https-on-80", "Conflicted")! == ("True", "ProtocolConflict"))
        #expect(listener("https-on-80", "Programmed")! == ("False", "ProtocolConflict"))
        #expect(status.conditions?.first { $0.type == "Programmed" }?.status == "True", "the first listener still serves")
        let served = output.table.sockets[ListenerSocket(port: 80)]
        #expect(served?.listeners.map(\.name) == ["http"])
        #expect(served?.listeners.allSatisfy { $0.certificate == nil } == true, "the port is not a TLS port")
    }

    @Test("Gateways sharing a socket: the oldest keeps its protocol; a later Gateway's listener (or ListenerSet's) of the other one is ProtocolConflict")
    func sharedSocketConflicts() throws {
        let https = try JSONDecoder().decode(Listener.self, from: Data(#"""
            {"name": "https", "hostname": "secure.test", "port": 80, "protocol": "HTTPS",
             "tls": {"mode": "Terminate", "certificateRefs": [{"name": "cert"}]}}
            """#.utf8))
        func gateway(_ name: String, created: String, listeners: [Listener]) -> Gateway {
            var gateway = Self.gateway(name, from: "Same", listeners: listeners)
            gateway.metadata.creationTimestamp = created
            return gateway
        }
        let secrets = [try TestCertificates.secret(name: "cert", namespace: "apps")]
        func listener(_ output: RouteCompiler.Output, _ gateway: String, _ name: String) -> (String, String)? {
            let reference = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: "apps", name: gateway)
            guard case .gateway(let status)? = output.typedStatuses[reference] else { return nil }
            return status.listeners?.first { $0.name == name }?.conditions.first { $0.type == "Conflicted" }.map { ($0.status, $0.reason) }
        }
        let plainFirst = Self.compile(
            [
                gateway("plain", created: "2026-11-30T01:00:00Z", listeners: [Listener(name: "http", hostname: "plain.test", port: 80, protocol: "HTTP")]),
                gateway("gw", created: "2026-11-30T02:00:00Z", listeners: [https, Listener(name: "admin", port: 8080, protocol: "HTTP")]),
            ],
            [Self.set("s", listeners: [Listener(name: "more-http", hostname: "more.test", port: 80, protocol: "HTTP")])],
            secrets: secrets)
        #expect(listener(plainFirst, "gw", "https")! == ("True", "ProtocolConflict"))
        #expect(listener(plainFirst, "gw", "admin")! == ("False", "NoConflicts"))
        #expect(listener(plainFirst, "plain", "http")! == ("False", "NoConflicts"))
        #expect(Self.listenerCondition(Self.status(plainFirst, "s"), "more-http", "Conflicted")! == ("False", "NoConflicts"))
        let port80 = try #require(plainFirst.table.sockets[ListenerSocket(port: 80)])
        #expect(!port80.isTLS)
        #expect(Set(port80.listeners.map(\.name)) == ["http", "more-http"])
        #expect(plainFirst.table.sockets[ListenerSocket(port: 8080)] != nil)

        let tlsFirst = Self.compile(
            [
                gateway("gw", created: "2026-11-30T01:00:00Z", listeners: [https]),
                gateway("plain", created: "2026-11-30T02:00:00Z", listeners: [Listener(name: "http", hostname: "plain.test", port: 80, protocol: "HTTP")]),
            ],
            [], secrets: secrets)
        #expect(listener(tlsFirst, "plain", "http")! == ("True", "ProtocolConflict"))
        #expect(listener(tlsFirst, "gw", "https")! == ("False", "NoConflicts"))
        #expect(tlsFirst.table.sockets[ListenerSocket(port: 80)]?.isTLS == true)
        #expect(tlsFirst.table.sockets[ListenerSocket(port: 80)]?.listeners.map(\.name) == ["https"])

        // A ListenerSet of the later Gateway whose only listener loses is ListenersNotValid.
        let setLoses = Self.compile(
            [
                gateway("plain", created: "2026-11-30T01:00:00Z", listeners: [Listener(name: "http", hostname: "plain.test", port: 80, protocol: "HTTP")]),
                gateway("gw", created: "2026-11-30T02:00:00Z", listeners: [Listener(name: "admin", port: 8080, protocol: "HTTP")]),
            ],
            [Self.set("s", listeners: [https])], secrets: secrets)
        #expect(Self.listenerCondition(Self.status(setLoses, "s"), "https", "Conflicted")! == ("True", "ProtocolConflict"))
        #expect(Self.condition(Self.status(setLoses, "s"), "Accepted")! == ("False", "ListenersNotValid"))
    }

    @Test("a ListenerSet's listener whose socket could not be bound: PortUnavailable in the set's status, the set not Programmed")
    func unbound() throws {
        let output = Self.compile(
            [Self.gateway(from: "Same")],
            [Self.set("s", listeners: [Listener(name: "admin", hostname: "admin.test", port: 9090, protocol: "HTTP")])])
        #expect(Self.condition(Self.status(output, "s"), "Programmed")! == ("True", "Programmed"))
        let marked = output.marking(unbound: [ListenerSocket(port: 9090): BindFailure(message: "port 9090 is in use", addressNotAvailable: false)])
        let status = Self.status(marked, "s")
        #expect(Self.listenerCondition(status, "admin", "Accepted")! == ("False", "PortUnavailable"))
        #expect(Self.listenerCondition(status, "admin", "Programmed")! == ("False", "Invalid"))
        #expect(Self.condition(status, "Programmed")! == ("False", "Invalid"))
        #expect(Self.condition(status, "Accepted")! == ("True", "Accepted"))
        let gateway = ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", namespace: "apps", name: "gw")
        guard case .gateway(let gatewayStatus)? = marked.typedStatuses[gateway] else {
            Issue.record("no Gateway status")
            return
        }
        #expect(gatewayStatus.conditions?.first { $0.type == "Programmed" }?.status == "True", "its own listener on port 80 is bound")
    }

    @Test("a ListenerSet of a Gateway with an unsupported address is ParentNotAccepted; one of another controller's Gateway gets no status")
    func parents() throws {
        var unsupported = Self.gateway(from: "All")
        unsupported.spec.addresses = [GatewayAddress(type: "Hostname", value: "gw.example.com")]
        let output = Self.compile([unsupported], [Self.set("s", listeners: Self.extra)])
        #expect(Self.condition(Self.status(output, "s"), "Accepted")! == ("False", "ParentNotAccepted"))

        var foreign = Self.gateway(from: "All")
        foreign.spec.gatewayClassName = "someone-else"
        #expect(Self.status(Self.compile([foreign], [Self.set("s", listeners: Self.extra)]), "s") == nil)
    }

    @Test("a ListenerSet's certificate in another namespace needs a ReferenceGrant from kind ListenerSet")
    func certificateGrant() throws {
        let https = try JSONDecoder().decode(Listener.self, from: Data(#"""
            {"name": "https", "hostname": "team.test", "port": 443, "protocol": "HTTPS",
             "tls": {"mode": "Terminate", "certificateRefs": [{"name": "cert", "namespace": "apps"}]}}
            """#.utf8))
        let secret = try TestCertificates.secret(name: "cert", namespace: "apps")
        func grant(kind: String) throws -> ReferenceGrant {
            try JSONDecoder().decode(ReferenceGrant.self, from: Data(#"""
                {"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
                 "metadata": {"name": "g", "namespace": "apps"},
                 "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "\#(kind)", "namespace": "teams"}],
                          "to": [{"group": "", "kind": "Secret"}]}}
                """#.utf8))
        }
        let sets = [Self.set("s", namespace: "teams", listeners: [https])]
        for (grants, expected) in [([], ("False", "RefNotPermitted")), ([try grant(kind: "Gateway")], ("False", "RefNotPermitted")),
                                   ([try grant(kind: "ListenerSet")], ("True", "ResolvedRefs"))] {
            let output = Self.compile([Self.gateway(from: "All")], sets, secrets: [secret], grants: grants)
            let status = Self.status(output, "s", namespace: "teams")
            #expect(Self.listenerCondition(status, "https", "ResolvedRefs")! == expected, "\(grants.map(\.spec.from))")
            #expect((output.table.sockets[ListenerSocket(port: 443)] != nil) == (expected.0 == "True"))
        }
    }
}
