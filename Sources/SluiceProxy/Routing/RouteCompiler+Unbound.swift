import SluiceModel

/// Why the proxy could not listen on a socket.
public struct BindFailure: Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// The address is not one of this machine's (EADDRNOTAVAIL), as opposed to a port in use or
    /// not permitted.
    public var addressNotAvailable: Bool

    public init(message: String, addressNotAvailable: Bool) {
        self.message = message
        self.addressNotAvailable = addressNotAvailable
    }

    public var description: String { message }
}

extension RouteCompiler.Output {
    /// The output with the statuses the sockets that could not be bound call for: each listener
    /// served on one, a Gateway's or a ListenerSet's, is not Accepted (PortUnavailable) nor
    /// Programmed; a Gateway or ListenerSet is not Programmed when none of its listeners is
    /// (a Gateway: AddressNotUsable when its address is not this machine's), and status no longer
    /// shows an address that is not. The compiler cannot know this: binding comes after compiling.
    public func marking(unbound failures: [ListenerSocket: BindFailure]) -> RouteCompiler.Output {
        guard !failures.isEmpty else { return self }
        var result = self
        let unusable = Set(failures.filter { $0.value.addressNotAvailable }.compactMap(\.key.address))
        for (reference, byName) in listenerSockets {
            switch typedStatuses[reference] {
            case .gateway(var status)?:
                guard let listeners = status.listeners else { continue }
                let marked = Self.marking(listeners, sockets: byName, failures: failures)
                status.listeners = marked.listeners
                status.addresses = status.addresses?.filter { !unusable.contains($0.value ?? "") }
                if status.addresses?.isEmpty == true { status.addresses = nil }
                if !marked.anyProgrammed {
                    status.conditions = Self.notProgrammed(status.conditions, addressNotAvailable: marked.addressNotAvailable)
                }
                result.typedStatuses[reference] = .gateway(status)
            case .listenerSet(var status)?:
                guard let listeners = status.listeners else { continue }
                let marked = Self.marking(listeners, sockets: byName, failures: failures)
                status.listeners = marked.listeners
                if !marked.anyProgrammed { status.conditions = Self.notProgrammed(status.conditions, addressNotAvailable: nil) }
                result.typedStatuses[reference] = .listenerSet(status)
            default:
                continue
            }
        }
        return result
    }

    /// `conditions` with a True Programmed made False: AddressNotUsable when the address was not
    /// this machine's, else Invalid.
    private static func notProgrammed(_ conditions: [Condition]?, addressNotAvailable: BindFailure?) -> [Condition]? {
        conditions?.map { condition in
            guard condition.type == "Programmed", condition.status == "True" else { return condition }
            if let addressNotAvailable {
                return condition.changed(to: false, reason: "AddressNotUsable", message: addressNotAvailable.message)
            }
            return condition.changed(to: false, reason: "Invalid", message: "no listener could be bound")
        }
    }

    /// `listeners` with each one served on a socket of `failures` marked PortUnavailable; whether
    /// any is still Programmed, and a failure of an address not this machine's, if one was met.
    private static func marking(
        _ listeners: [GatewayStatus.ListenerStatus], sockets byName: [String: [ListenerSocket]], failures: [ListenerSocket: BindFailure]
    ) -> (listeners: [GatewayStatus.ListenerStatus], anyProgrammed: Bool, addressNotAvailable: BindFailure?) {
        var listeners = listeners
        var addressNotAvailable: BindFailure?
        for index in listeners.indices {
            let sockets = byName[listeners[index].name] ?? []
            guard let failure = sockets.lazy.compactMap({ failures[$0] }).first else { continue }
            if failure.addressNotAvailable { addressNotAvailable = failure }
            listeners[index].conditions = listeners[index].conditions.map { condition in
                switch condition.type {
                case "Accepted": condition.changed(to: false, reason: "PortUnavailable", message: failure.message)
                case "Programmed": condition.changed(to: false, reason: "Invalid", message: failure.message)
                default: condition
                }
            }
        }
        let anyProgrammed = listeners.contains { listener in
            listener.conditions.contains { $0.type == "Programmed" && $0.status == "True" }
        }
        return (listeners, anyProgrammed, addressNotAvailable)
    }
}

extension Condition {
    /// This condition with another status, reason and message, at the same time and generation.
    func changed(to status: Bool, reason: String, message: String) -> Condition {
        Condition(
            type: type, status: status ? "True" : "False", observedGeneration: observedGeneration,
            lastTransitionTime: lastTransitionTime, reason: reason, message: message)
    }
}
