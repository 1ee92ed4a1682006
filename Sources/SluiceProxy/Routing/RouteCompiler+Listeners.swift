import Foundation
import SluiceModel

extension CompilationState {
    /// Checks each listener of a Gateway: protocol, route kinds, TLS certificates, conflicts on a port.
    mutating func compileListeners(of gateway: Gateway) {
        let key = Self.gatewayKey(gateway)
        var states = listenerStates(
            gateway.spec.listeners, gatewayKey: key, namespace: gateway.metadata.namespace ?? "default",
            generation: gateway.metadata.generation, kind: "Gateway")
        Self.markConflicts(in: &states, after: [])
        listeners[key] = states
    }

    /// The route kinds an HTTP or HTTPS listener serves, in the order `supportedKinds` lists them.
    static let routeKinds = ["HTTPRoute", "GRPCRoute"]

    /// The listeners a Gateway or a ListenerSet (`kind`, in `namespace`) declares for the Gateway `gatewayKey`.
    func listenerStates(_ specs: [Listener], gatewayKey key: String, namespace: String, generation: Int64?, kind: String) -> [ListenerState] {
        var states: [ListenerState] = []
        for listener in specs {
            var conditions: [Condition] = []
            var valid = true
            let isTLS = listener.protocol == "HTTPS"
            var supported: [RouteGroupKind] = []
            var kindsValid = true
            if let kinds = listener.allowedRoutes?.kinds, !kinds.isEmpty {
                for kind in kinds {
                    if (kind.group ?? RouteCompiler.gatewayGroup) == RouteCompiler.gatewayGroup, Self.routeKinds.contains(kind.kind) {
                        supported.append(RouteGroupKind(group: RouteCompiler.gatewayGroup, kind: kind.kind))
                    } else {
                        kindsValid = false
                    }
                }
            } else {
                supported = Self.routeKinds.map { RouteGroupKind(group: RouteCompiler.gatewayGroup, kind: $0) }
            }
            var certificate: TLSCertificate?
            var refsReason = ("ResolvedRefs", "references resolved")
            if !kindsValid {
                refsReason = ("InvalidRouteKinds", "only HTTPRoute and GRPCRoute are supported")
            }
            guard listener.protocol == "HTTP" || isTLS else {
                conditions.append(condition("Accepted", false, "UnsupportedProtocol", "protocol \(listener.protocol) is not supported", generation))
                conditions.append(condition("Programmed", false, "Invalid", "listener is not accepted", generation))
                conditions.append(condition("ResolvedRefs", refsReason.0 == "ResolvedRefs", refsReason.0, refsReason.1, generation))
                states.append(ListenerState(
                    gatewayKey: key, namespace: namespace, spec: listener, hostname: listener.hostname.map(Hostname.init),
                    isTLS: false, certificate: nil, valid: false, conditions: conditions, supportedKinds: supported, generation: generation))
                continue
            }
            if isTLS {
                switch resolveCertificate(listener, namespace: namespace, kind: kind) {
                case .success(let resolved): certificate = resolved
                case .failure(let problem):
                    valid = false
                    refsReason = (problem.reason, problem.message)
                }
            }
            conditions.append(condition("Accepted", true, "Accepted", "listener accepted", generation))
            conditions.append(condition(
                "ResolvedRefs", refsReason.0 == "ResolvedRefs", refsReason.0, refsReason.1, generation))
            conditions.append(condition(
                "Programmed", valid, valid ? "Programmed" : "Invalid",
                valid ? "listener programmed" : "listener has invalid references", generation))
            conditions.append(condition("Conflicted", false, "NoConflicts", "no conflicts", generation))
            states.append(ListenerState(
                gatewayKey: key, namespace: namespace, spec: listener, hostname: listener.hostname.map(Hostname.init),
                isTLS: isTLS, certificate: certificate, valid: valid, conditions: conditions, supportedKinds: supported,
                generation: generation))
        }
        return states
    }

    struct ReferenceProblem: Error {
        var reason: String
        var message: String
    }

    /// The first `certificateRefs` entry as PEM, from a `kubernetes.io/tls` Secret the listener's
    /// Gateway or ListenerSet (`kind`, in `ownNamespace`) may read.
    func resolveCertificate(_ listener: Listener, namespace ownNamespace: String, kind: String) -> Result<TLSCertificate, ReferenceProblem> {
        guard let ref = listener.tls?.certificateRefs?.first else {
            return .failure(ReferenceProblem(reason: "InvalidCertificateRef", message: "an HTTPS listener needs certificateRefs"))
        }
        guard (ref.group ?? "").isEmpty, (ref.kind ?? "Secret") == "Secret" else {
            return .failure(ReferenceProblem(reason: "InvalidCertificateRef", message: "certificateRefs must name Secrets"))
        }
        let namespace = ref.namespace ?? ownNamespace
        if namespace != ownNamespace,
            !granted(from: (RouteCompiler.gatewayGroup, kind, ownNamespace), to: ("", "Secret", ref.name), in: namespace)
        {
            return .failure(ReferenceProblem(
                reason: "RefNotPermitted", message: "no ReferenceGrant in \(namespace) allows this Gateway to read Secret \(ref.name)"))
        }
        guard let secret = input.secrets.first(where: { $0.metadata.name == ref.name && ($0.metadata.namespace ?? "default") == namespace }),
            let certificate = secret.data?["tls.crt"].flatMap(KubernetesBytes.decode),
            let key = secret.data?["tls.key"].flatMap(KubernetesBytes.decode)
        else {
            return .failure(ReferenceProblem(
                reason: "InvalidCertificateRef", message: "Secret \(namespace)/\(ref.name) is missing or has no tls.crt and tls.key"))
        }
        return .success(TLSCertificate(certificatePEM: Array(certificate), keyPEM: Array(key)))
    }

    /// Whether a ReferenceGrant in `namespace` lets `from` refer to `to`.
    func granted(from: (group: String, kind: String, namespace: String), to: (group: String, kind: String, name: String), in namespace: String) -> Bool {
        input.referenceGrants.contains { grant in
            guard (grant.metadata.namespace ?? "default") == namespace else { return false }
            let fromOK = grant.spec.from.contains { $0.group == from.group && $0.kind == from.kind && $0.namespace == from.namespace }
            let toOK = grant.spec.to.contains { $0.group == to.group && $0.kind == to.kind && ($0.name == nil || $0.name == to.name) }
            return fromOK && toOK
        }
    }

    mutating func recordStatus(of gateway: Gateway) {
        let key = Self.gatewayKey(gateway)
        var states = listeners[key] ?? []
        let generation = gateway.metadata.generation
        var accepted = condition("Accepted", true, "Accepted", "gateway accepted by \(controllerName)", generation)
        var unplaced: (reason: String, message: String)?
        switch placements[key] ?? .shared {
        case .unsupported(let message):
            accepted = condition("Accepted", false, "UnsupportedAddress", message, generation)
            unplaced = ("Invalid", message)
        case .notAssigned(let message):
            unplaced = ("AddressNotAssigned", message)
        case .shared, .own:
            break
        }
        let programmed: Condition
        if let (reason, message) = unplaced {
            programmed = condition("Programmed", false, reason, message, generation)
            // A Gateway with no address has no socket: none of its listeners is served.
            for index in states.indices {
                states[index].conditions = states[index].conditions.map {
                    $0.type == "Programmed" ? condition("Programmed", false, "Invalid", "the Gateway has no address", generation) : $0
                }
            }
        } else {
            let anyValid = states.contains(where: \.valid)
            programmed = condition(
                "Programmed", anyValid, anyValid ? "Programmed" : "Invalid", anyValid ? "gateway programmed" : "no listener is valid",
                generation)
        }
        let status = GatewayStatus(
            addresses: unplaced == nil ? statusAddresses(of: key) : nil,
            conditions: [accepted, programmed],
            listeners: states.map(\.status),
            // Counted once ListenerSets are read at all, so that a Gateway shows 0 rather than nothing.
            attachedListenerSets: input.listenerSets.isEmpty ? nil : attachedListenerSets[key, default: []].count)
        record(.gateway(status), for: reference(gateway, kind: "Gateway"))
    }
}

extension CompilationState.ListenerState {
    var status: GatewayStatus.ListenerStatus {
        GatewayStatus.ListenerStatus(name: spec.name, supportedKinds: supportedKinds, attachedRoutes: attachedRoutes, conditions: conditions)
    }

    /// Marks the listener as losing its port to another: `Conflicted=True`, not Accepted nor
    /// Programmed, and not served.
    mutating func markConflicted(reason: String, message: String) {
        valid = false
        conditions = conditions.map { condition in
            switch condition.type {
            case "Accepted", "Programmed": condition.changed(to: false, reason: reason, message: message)
            case "Conflicted": condition.changed(to: true, reason: reason, message: message)
            default: condition
            }
        }
    }
}
