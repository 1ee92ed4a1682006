import SluiceModel

extension CompilationState {
    /// `listeners` keys of ListenerSets: apart from Gateways' `namespace/name`, and after them when sorted.
    static func listenerSetKey(namespace: String, name: String) -> String { "~ListenerSet \(namespace)/\(name)" }

    static func listenerSetKey(_ set: ListenerSet) -> String {
        listenerSetKey(namespace: set.metadata.namespace ?? "default", name: set.metadata.name)
    }

    /// Attaches each ListenerSet whose parent is one of `gateways` and which that Gateway's
    /// `allowedListeners` lets in. The Gateway then has its own listeners followed by the sets',
    /// oldest set first (then by namespace/name), as the spec orders them; a set's listener on a
    /// port an earlier listener of the list already has with another protocol, or with the same
    /// hostname, conflicts and is not served. A set whose parent is not this controller's is left alone.
    mutating func attachListenerSets(to gateways: [Gateway]) {
        let byKey = Dictionary(gateways.map { (Self.gatewayKey($0), $0) }, uniquingKeysWith: { first, _ in first })
        let ordered = input.listenerSets.sorted {
            ($0.metadata.creationTimestamp ?? "", Self.listenerSetKey($0)) < ($1.metadata.creationTimestamp ?? "", Self.listenerSetKey($1))
        }
        for set in ordered {
            let namespace = set.metadata.namespace ?? "default"
            let setKey = Self.listenerSetKey(set)
            let parent = set.spec.parentRef
            guard (parent.group ?? RouteCompiler.gatewayGroup) == RouteCompiler.gatewayGroup, (parent.kind ?? "Gateway") == "Gateway",
                let gateway = byKey["\(parent.namespace ?? namespace)/\(parent.name)"]
            else { continue }
            let gatewayKey = Self.gatewayKey(gateway)
            let generation = set.metadata.generation
            if case .unsupported = placements[gatewayKey] {
                refuse(set, reason: "ParentNotAccepted", message: "Gateway \(gatewayKey) is not accepted")
                continue
            }
            guard allowsListenerSets(of: gateway, from: namespace) else {
                refuse(set, reason: "NotAllowed", message: "the allowedListeners of Gateway \(gatewayKey) do not admit ListenerSets from namespace \(namespace)")
                continue
            }
            var states = listenerStates(set.spec.listeners, gatewayKey: gatewayKey, namespace: namespace, generation: generation, kind: "ListenerSet")
            let earlier = (listeners[gatewayKey] ?? []) + attachedListenerSets[gatewayKey, default: []].flatMap { listeners[Self.listenerSetKey($0)] ?? [] }
            Self.markConflicts(in: &states, after: earlier)
            listeners[setKey] = states
            if states.contains(where: \.valid) {
                attachedListenerSets[gatewayKey, default: []].append(set)
                listenerSetConditions[setKey] = [
                    condition("Accepted", true, "Accepted", "attached to Gateway \(gatewayKey)", generation),
                    condition("Programmed", true, "Programmed", "listeners programmed", generation),
                ]
            } else {
                refuse(set, reason: "ListenersNotValid", message: "no listener of this ListenerSet is valid")
            }
        }
    }

    /// Marks each valid listener of `states` that shares its port with a valid listener before it
    /// (in `earlier`, then in `states`) and either has another protocol (ProtocolConflict) or the
    /// same hostname (HostnameConflict): Conflicted, not Accepted nor Programmed, and not served.
    /// The first listener keeps the port, as the spec orders a Gateway's listeners before its
    /// ListenerSets' and the sets by age.
    static func markConflicts(in states: inout [ListenerState], after earlier: [ListenerState]) {
        for index in states.indices where states[index].valid {
            let listener = states[index]
            let before = earlier + states[..<index]
            guard let other = before.first(where: { $0.valid && $0.spec.port == listener.spec.port && ($0.spec.protocol != listener.spec.protocol || $0.hostname == listener.hostname) })
            else { continue }
            let reason = other.spec.protocol != listener.spec.protocol ? "ProtocolConflict" : "HostnameConflict"
            let message = "listener \(other.spec.name) before it has port \(listener.spec.port)"
                + (reason == "ProtocolConflict" ? " with protocol \(other.spec.protocol)" : " and the same hostname")
            states[index].markConflicted(reason: reason, message: message)
        }
    }

    /// Gateways sharing a socket (the bind address, without a pool) must agree on whether it
    /// speaks TLS: the oldest Gateway (then by namespace/name) keeps the socket's protocol, and a
    /// later Gateway's listener of the other one (HTTP against HTTPS), its ListenerSets' included,
    /// is `Conflicted=True ProtocolConflict` and not served. A ListenerSet left with no listener is
    /// then `ListenersNotValid`. (Within one Gateway, `markConflicts` has decided already.)
    mutating func markSharedSocketConflicts(_ gateways: [Gateway]) {
        let ordered = gateways.sorted {
            ($0.metadata.creationTimestamp ?? "", Self.gatewayKey($0)) < ($1.metadata.creationTimestamp ?? "", Self.gatewayKey($1))
        }
        var claimed: [ListenerSocket: (isTLS: Bool, gatewayKey: String, listener: String)] = [:]
        for gateway in ordered {
            let gatewayKey = Self.gatewayKey(gateway)
            let sets = attachedListenerSets[gatewayKey, default: []]
            for owner in [gatewayKey] + sets.map(Self.listenerSetKey) {
                guard var states = listeners[owner] else { continue }
                for index in states.indices where states[index].valid {
                    let listener = states[index]
                    for socket in sockets(of: listener) {
                        guard let first = claimed[socket] else {
                            claimed[socket] = (listener.isTLS, gatewayKey, listener.spec.name)
                            continue
                        }
                        guard first.isTLS != listener.isTLS, first.gatewayKey != gatewayKey, states[index].valid else { continue }
                        states[index].markConflicted(
                            reason: "ProtocolConflict",
                            message: "listener \(first.listener) of Gateway \(first.gatewayKey) serves port \(listener.spec.port) at this address with "
                                + (first.isTLS ? "HTTPS" : "HTTP"))
                    }
                }
                listeners[owner] = states
            }
            for set in sets where !(listeners[Self.listenerSetKey(set)] ?? []).contains(where: \.valid) {
                refuse(set, reason: "ListenersNotValid", message: "no listener of this ListenerSet is valid")
            }
        }
    }

    /// A ListenerSet neither Accepted nor Programmed, for `reason`.
    mutating func refuse(_ set: ListenerSet, reason: String, message: String) {
        let generation = set.metadata.generation
        listenerSetConditions[Self.listenerSetKey(set)] = [
            condition("Accepted", false, reason, message, generation), condition("Programmed", false, reason, message, generation),
        ]
    }

    /// `allowedListeners.namespaces`: None (the default), Same, All, or Selector on the namespace's labels.
    func allowsListenerSets(of gateway: Gateway, from namespace: String) -> Bool {
        let allowed = gateway.spec.allowedListeners?.namespaces
        switch allowed?.from ?? "None" {
        case "All": return true
        case "Same": return namespace == (gateway.metadata.namespace ?? "default")
        case "Selector":
            guard let selector = allowed?.selector else { return false }
            let labels = input.namespaces.first { $0.metadata.name == namespace }?.metadata.labels ?? [:]
            return selector.matches(labels)
        default: return false
        }
    }

    /// The status of every ListenerSet attached, or refused, above.
    mutating func recordListenerSetStatuses() {
        for set in input.listenerSets {
            let setKey = Self.listenerSetKey(set)
            guard let conditions = listenerSetConditions[setKey] else { continue }
            let status = ListenerSetStatus(conditions: conditions, listeners: (listeners[setKey] ?? []).map(\.status))
            record(.listenerSet(status), for: reference(set, kind: "ListenerSet"))
        }
    }
}
