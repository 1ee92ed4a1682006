import Foundation
import SluiceModel

/// Compiles live objects into a `RouteTable` and the status each object should carry.
/// Pure: the same input and time give the same output.
public struct RouteCompiler: Sendable {
    /// The `spec.controllerName` of the GatewayClasses this proxy serves.
    public static let defaultControllerName = "sluice.dev/gateway-controller"
    static let gatewayGroup = "gateway.networking.k8s.io"

    public var controllerName: String
    public var addressing: Addressing

    public init(controllerName: String = RouteCompiler.defaultControllerName, addressing: Addressing = Addressing()) {
        self.controllerName = controllerName
        self.addressing = addressing
    }

    /// The result of one compilation.
    public struct Output: Sendable {
        public var table: RouteTable
        /// The status each GatewayClass, Gateway, ListenerSet, HTTPRoute and GRPCRoute should have, as typed values.
        public var typedStatuses: [ObjectReference: ComputedStatus]
        /// The sockets each Gateway's and ListenerSet's listeners (by name) are served on, for `marking(unbound:)`.
        public var listenerSockets: [ObjectReference: [String: [ListenerSocket]]] = [:]

        /// The `status` of each object as JSON, for a writer to patch. Route statuses hold only
        /// the parents that are Gateways (or ListenerSets) of this controller. Encoded on demand,
        /// so a reload that only needs the table does not pay for it.
        public var statuses: [ObjectReference: JSONValue] {
            typedStatuses.compactMapValues { status in
                switch status {
                case .gatewayClass(let value): try? Object(encoding: value).value
                case .gateway(let value): try? Object(encoding: value).value
                case .route(let value): try? Object(encoding: value).value
                case .listenerSet(let value): try? Object(encoding: value).value
                }
            }
        }
    }

    /// A computed status, by kind.
    public enum ComputedStatus: Sendable, Hashable {
        case gatewayClass(GatewayClassStatus)
        case gateway(GatewayStatus)
        case route(RouteStatus)
        case listenerSet(ListenerSetStatus)
    }

    /// Compiles `input`; `now` (RFC 3339) stamps the conditions' `lastTransitionTime`.
    public func compile(_ input: ProxyInput, now: String = RouteCompiler.timestamp()) -> Output {
        var state = CompilationState(input: input, controllerName: controllerName, addressing: addressing, now: now)
        state.run()
        return Output(table: state.table(), typedStatuses: state.statuses, listenerSockets: state.listenerSockets())
    }

    /// The current time as Kubernetes writes it (`2026-11-29T03:00:00Z`).
    public static func timestamp(_ date: Date = Date()) -> String {
        KubernetesTime.time(date)
    }
}

/// The working state of one compilation; `RouteCompiler` keeps none between runs.
struct CompilationState {
    let input: ProxyInput
    let controllerName: String
    let addressing: RouteCompiler.Addressing
    let now: String
    var statuses: [ObjectReference: RouteCompiler.ComputedStatus] = [:]
    /// Where each Gateway (by `namespace/name`) is served.
    var placements: [String: GatewayPlacement] = [:]
    /// Listeners by owner, as they are compiled: a Gateway's by its key (`namespace/name`), a
    /// ListenerSet's by `listenerSetKey`.
    var listeners: [String: [ListenerState]] = [:]
    /// The ListenerSets attached to each Gateway (by key), in precedence order.
    var attachedListenerSets: [String: [ListenerSet]] = [:]
    /// Each ListenerSet's own conditions (Accepted, Programmed), by `listenerSetKey`.
    var listenerSetConditions: [String: [Condition]] = [:]
    /// Backends in the order first referred to; a key's index is its `ResolvedBackend.slot`.
    var backendKeys: [BackendKey] = []
    var backendSlots: [BackendKey: Int] = [:]

    init(input: ProxyInput, controllerName: String, addressing: RouteCompiler.Addressing, now: String) {
        self.input = input
        self.controllerName = controllerName
        self.addressing = addressing
        self.now = now
    }

    struct ListenerState {
        /// The Gateway served by this listener (its own, or the parent of its ListenerSet).
        var gatewayKey: String
        /// The namespace of the Gateway or ListenerSet that declares it (`Same` means this one).
        var namespace: String
        var spec: Listener
        var hostname: Hostname?
        var isTLS: Bool
        var certificate: TLSCertificate?
        var valid: Bool
        var conditions: [Condition]
        var supportedKinds: [RouteGroupKind]
        var attachedRoutes = 0
        var entries: [ListenerEntry] = []
        var generation: Int64?
    }

    mutating func run() {
        let classes = Set(input.gatewayClasses.filter { $0.spec.controllerName == controllerName }.map(\.metadata.name))
        for gatewayClass in input.gatewayClasses where classes.contains(gatewayClass.metadata.name) {
            let status = GatewayClassStatus(
                conditions: [condition("Accepted", true, "Accepted", "handled by \(controllerName)", gatewayClass.metadata.generation)],
                supportedFeatures: RouteCompiler.supportedFeatures(addressing).map(GatewayClassStatus.SupportedFeature.init))
            record(.gatewayClass(status), for: reference(gatewayClass, kind: "GatewayClass"))
        }
        let gateways = input.gateways.filter { classes.contains($0.spec.gatewayClassName) }
        placeGateways(gateways)
        for gateway in gateways { compileListeners(of: gateway) }
        // Before the sets attach, so that a Gateway's listener another Gateway takes the socket
        // from does not make its sets' listeners conflict; after, for the sets' own listeners.
        markSharedSocketConflicts(gateways)
        attachListenerSets(to: gateways)
        markSharedSocketConflicts(gateways)
        let conflicts = kindConflicts()
        for route in input.httpRoutes { attach(.http(route), conflicts: conflicts) }
        for route in input.grpcRoutes { attach(.grpc(route), conflicts: conflicts) }
        for gateway in gateways { recordStatus(of: gateway) }
        recordListenerSetStatuses()
    }

    /// Listeners sharing a socket and a hostname (from different Gateways at one address) are
    /// merged; their routes then compete by the usual precedence.
    func table() -> RouteTable {
        var groups: [ListenerSocket: [(hostname: Hostname?, listeners: [ListenerState])]] = [:]
        for (_, ownListeners) in listeners.sorted(by: { $0.key < $1.key }) {
            for listener in ownListeners where listener.valid {
                for socket in sockets(of: listener) {
                    var shared = groups[socket] ?? []
                    if let index = shared.firstIndex(where: { $0.hostname == listener.hostname }) {
                        shared[index].listeners.append(listener)
                    } else {
                        shared.append((listener.hostname, [listener]))
                    }
                    groups[socket] = shared
                }
            }
        }
        var sockets: [ListenerSocket: RouteTable.PortTable] = [:]
        for (socket, shared) in groups {
            let compiled = shared.map { Self.compiledListener($0.listeners) }
            sockets[socket] = RouteTable.PortTable(
                isTLS: shared.contains { $0.listeners.contains(where: \.isTLS) },
                listeners: compiled.sorted { Self.hostnameOrder($0.hostname, $1.hostname) })
        }
        return RouteTable(sockets: sockets, slottedBackends: backendKeys)
    }

    /// Exact hostnames first, then wildcards longest first, then no hostname.
    static func hostnameOrder(_ lhs: Hostname?, _ rhs: Hostname?) -> Bool {
        func rank(_ hostname: Hostname?) -> (Int, Int) {
            guard let hostname else { return (2, 0) }
            return hostname.isWildcard ? (1, -hostname.value.count) : (0, -hostname.value.count)
        }
        return rank(lhs) < rank(rhs)
    }

    static func compiledListener(_ group: [ListenerState]) -> CompiledListener {
        let listener = group[0]
        var exact: [String: [RouteEntry]] = [:]
        var wildcard: [String: [RouteEntry]] = [:]
        var any: [RouteEntry] = []
        for entry in group.flatMap(\.entries) {
            switch entry.host {
            case .none: any.append(entry.entry)
            case .some(let host) where host.isWildcard: wildcard[host.wildcardSuffix, default: []].append(entry.entry)
            case .some(let host): exact[host.value, default: []].append(entry.entry)
            }
        }
        let sort: ([RouteEntry]) -> [RouteEntry] = { entries in entries.sorted { RouteEntry.precedes($0.rank, $1.rank) } }
        return CompiledListener(
            gateways: group.map(\.gatewayKey),
            name: listener.spec.name,
            hostname: listener.hostname,
            certificate: group.lazy.compactMap(\.certificate).first,
            exactHosts: exact.mapValues(sort),
            wildcardHosts: wildcard.sorted { $0.key.count > $1.key.count }.map { (suffix: $0.key, entries: sort($0.value)) },
            anyHost: sort(any)
        )
    }

    func condition(_ type: String, _ status: Bool, _ reason: String, _ message: String, _ generation: Int64?) -> Condition {
        Condition(
            type: type, status: status ? "True" : "False", observedGeneration: generation,
            lastTransitionTime: now, reason: reason, message: message)
    }

    /// Where a listener is served: its port at each address of its Gateway.
    func sockets(of listener: ListenerState) -> [ListenerSocket] {
        (placements[listener.gatewayKey] ?? .shared).addresses.map { ListenerSocket(address: $0, port: listener.spec.port) }
    }

    /// The sockets of each valid listener, by Gateway or ListenerSet and listener name.
    func listenerSockets() -> [ObjectReference: [String: [ListenerSocket]]] {
        var result: [ObjectReference: [String: [ListenerSocket]]] = [:]
        func add(_ states: [ListenerState]?, as reference: ObjectReference) {
            guard let states else { return }
            var byName: [String: [ListenerSocket]] = [:]
            for state in states where state.valid { byName[state.spec.name] = sockets(of: state) }
            result[reference] = byName
        }
        for gateway in input.gateways { add(listeners[Self.gatewayKey(gateway)], as: reference(gateway, kind: "Gateway")) }
        for set in input.listenerSets { add(listeners[Self.listenerSetKey(set)], as: reference(set, kind: "ListenerSet")) }
        return result
    }

    mutating func record(_ status: RouteCompiler.ComputedStatus, for reference: ObjectReference) {
        statuses[reference] = status
    }

    func reference<Spec, Status>(_ resource: Resource<Spec, Status>, kind: String) -> ObjectReference {
        ObjectReference(
            apiVersion: resource.apiVersion, kind: kind, namespace: resource.metadata.namespace,
            name: resource.metadata.name)
    }
}


/// A route entry with the hostname it was attached under (`nil`: any host).
struct ListenerEntry {
    var host: Hostname?
    var entry: RouteEntry
}

extension RouteEntry {
    /// The spec's precedence: exact path, then the longest prefix, then method, most headers, most
    /// query parameters; ties go to the oldest route, then namespace/name, then rule and match order.
    /// GRPCRoutes' matches: the most characters of service, then of method, then most headers, with
    /// the same ties. The two kinds are not merged (a hostname is either's, see
    /// `kindConflicts`); where Gateways sharing a socket bring both, age and name order them.
    static func precedes(_ lhs: Rank, _ rhs: Rank) -> Bool {
        switch (lhs.grpc, rhs.grpc) {
        case (nil, nil):
            break
        case (let left?, let right?):
            if left.serviceLength != right.serviceLength { return left.serviceLength > right.serviceLength }
            if left.methodLength != right.methodLength { return left.methodLength > right.methodLength }
            if lhs.headerCount != rhs.headerCount { return lhs.headerCount > rhs.headerCount }
            return tieBreak(lhs, rhs)
        default:
            return tieBreak(lhs, rhs)
        }
        if lhs.pathKind != rhs.pathKind { return lhs.pathKind < rhs.pathKind }
        if lhs.pathLength != rhs.pathLength { return lhs.pathLength > rhs.pathLength }
        if lhs.hasMethod != rhs.hasMethod { return lhs.hasMethod }
        if lhs.headerCount != rhs.headerCount { return lhs.headerCount > rhs.headerCount }
        if lhs.queryCount != rhs.queryCount { return lhs.queryCount > rhs.queryCount }
        return tieBreak(lhs, rhs)
    }

    /// The oldest route, then namespace/name, then rule and match order.
    static func tieBreak(_ lhs: Rank, _ rhs: Rank) -> Bool {
        if lhs.creationTimestamp != rhs.creationTimestamp { return lhs.creationTimestamp < rhs.creationTimestamp }
        if lhs.routeKey != rhs.routeKey { return lhs.routeKey < rhs.routeKey }
        if lhs.ruleIndex != rhs.ruleIndex { return lhs.ruleIndex < rhs.ruleIndex }
        return lhs.matchIndex < rhs.matchIndex
    }
}
