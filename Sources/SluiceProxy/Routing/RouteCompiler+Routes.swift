import SluiceModel

/// A route of either kind the proxy serves, as attachment sees it.
enum AttachableRoute {
    case http(HTTPRoute)
    case grpc(GRPCRoute)

    var kind: String {
        switch self {
        case .http: "HTTPRoute"
        case .grpc: "GRPCRoute"
        }
    }

    var metadata: ObjectMeta {
        switch self {
        case .http(let route): route.metadata
        case .grpc(let route): route.metadata
        }
    }

    var parentRefs: [ParentReference] {
        switch self {
        case .http(let route): route.spec.parentRefs ?? []
        case .grpc(let route): route.spec.parentRefs ?? []
        }
    }

    var hostnames: [String]? {
        switch self {
        case .http(let route): route.spec.hostnames
        case .grpc(let route): route.spec.hostnames
        }
    }

    var namespace: String { metadata.namespace ?? "default" }
    var routeKey: String { "\(namespace)/\(metadata.name)" }
    var apiVersion: String {
        switch self {
        case .http(let route): route.apiVersion
        case .grpc(let route): route.apiVersion
        }
    }
}

extension CompilationState {
    /// Attaches one route to the listeners its parentRefs select and records its status. A
    /// listener `conflicts` names for this route (another kind's route holds an intersecting
    /// hostname there) is left out.
    mutating func attach(_ route: AttachableRoute, conflicts: KindConflicts) {
        let namespace = route.namespace
        let routeKey = route.routeKey
        let generation = route.metadata.generation
        var parents: [RouteParentStatus] = []
        var compiledRules: [CompiledRule]?
        var routeEntries: [RouteEntry] = []
        var refsProblem: ReferenceProblem?
        for parentRef in route.parentRefs {
            guard let ownerKey = Self.listenersKey(of: parentRef, routeNamespace: namespace), let ownListeners = listeners[ownerKey] else { continue }
            if compiledRules == nil {
                let (rules, problem) = compileRules(route, namespace: namespace, routeKey: routeKey)
                compiledRules = rules
                refsProblem = problem
                routeEntries = entries(route, rules: rules, routeKey: routeKey)
            }
            var conditions: [Condition]
            switch select(ownListeners, for: parentRef, route: route) {
            case .failure(let problem):
                conditions = [condition("Accepted", false, problem.reason, problem.message, generation)]
            case .success(let selected):
                let kept = selected.filter { conflicts.winner(over: route, ownerKey: ownerKey, listener: $0.0) == nil }
                if kept.isEmpty, let winner = conflicts.winner(over: route, ownerKey: ownerKey, listener: selected[0].0) {
                    let message = "\(winner.kind) \(winner.routeKey) holds an intersecting hostname on the listener (it is older, "
                        + "or first by namespace/name): an HTTPRoute and a GRPCRoute do not share one"
                    conditions = [condition("Accepted", false, "NotAllowedByListeners", message, generation)]
                    break
                }
                for (index, hosts) in kept {
                    listeners[ownerKey]![index].attachedRoutes += 1
                    for host in hosts {
                        for entry in routeEntries {
                            listeners[ownerKey]![index].entries.append(ListenerEntry(host: host, entry: entry))
                        }
                    }
                }
                conditions = [condition("Accepted", true, "Accepted", "route accepted", generation)]
            }
            if let refsProblem {
                conditions.append(condition("ResolvedRefs", false, refsProblem.reason, refsProblem.message, generation))
            } else {
                conditions.append(condition("ResolvedRefs", true, "ResolvedRefs", "all references resolved", generation))
            }
            parents.append(RouteParentStatus(parentRef: parentRef, controllerName: controllerName, conditions: conditions))
        }
        if !parents.isEmpty {
            let reference = ObjectReference(apiVersion: route.apiVersion, kind: route.kind, namespace: route.metadata.namespace, name: route.metadata.name)
            record(.route(RouteStatus(parents: parents)), for: reference)
        }
    }

    /// The `listeners` key of a route's parent: a Gateway parent's listeners are its own, a
    /// ListenerSet's are the set's alone; nil for parents of other kinds or groups.
    static func listenersKey(of parentRef: ParentReference, routeNamespace: String) -> String? {
        guard (parentRef.group ?? RouteCompiler.gatewayGroup) == RouteCompiler.gatewayGroup else { return nil }
        switch parentRef.kind ?? "Gateway" {
        case "Gateway": return "\(parentRef.namespace ?? routeNamespace)/\(parentRef.name)"
        case "ListenerSet": return listenerSetKey(namespace: parentRef.namespace ?? routeNamespace, name: parentRef.name)
        default: return nil
        }
    }

    /// The listeners a parentRef attaches to, each with the effective hostnames (`nil`: any host).
    func select(
        _ candidates: [ListenerState], for parentRef: ParentReference, route: AttachableRoute
    ) -> Result<[(Int, [Hostname?])], ReferenceProblem> {
        let matching = candidates.indices.filter { index in
            let listener = candidates[index].spec
            if let section = parentRef.sectionName, section != listener.name { return false }
            if let port = parentRef.port, port != listener.port { return false }
            return true
        }
        guard !matching.isEmpty else {
            return .failure(ReferenceProblem(reason: "NoMatchingParent", message: "no listener matches sectionName/port"))
        }
        let allowed = matching.filter { allows(candidates[$0], kind: route.kind, routeNamespace: route.namespace) }
        guard !allowed.isEmpty else {
            return .failure(ReferenceProblem(reason: "NotAllowedByListeners", message: "no listener allows this route"))
        }
        var selected: [(Int, [Hostname?])] = []
        for index in allowed {
            let listenerHost = candidates[index].hostname
            guard let routeHosts = route.hostnames, !routeHosts.isEmpty else {
                selected.append((index, [listenerHost]))
                continue
            }
            var hosts: [Hostname?] = []
            for host in routeHosts {
                if let effective = Hostname.intersection(listener: listenerHost, route: Hostname(host)), !hosts.contains(effective) {
                    hosts.append(effective)
                }
            }
            if !hosts.isEmpty { selected.append((index, hosts)) }
        }
        guard !selected.isEmpty else {
            return .failure(ReferenceProblem(
                reason: "NoMatchingListenerHostname", message: "no listener hostname intersects the route's hostnames"))
        }
        return .success(selected)
    }

    /// `allowedRoutes`: namespaces (Same by default, All, Selector) and kinds.
    func allows(_ listener: ListenerState, kind: String, routeNamespace: String) -> Bool {
        guard listener.supportedKinds.contains(where: { $0.kind == kind }) else { return false }
        let namespaces = listener.spec.allowedRoutes?.namespaces
        switch namespaces?.from ?? "Same" {
        case "All": return true
        case "Selector":
            guard let selector = namespaces?.selector else { return false }
            let labels = input.namespaces.first { $0.metadata.name == routeNamespace }?.metadata.labels ?? [:]
            return selector.matches(labels)
        default: return routeNamespace == listener.namespace
        }
    }

    /// One entry per match of every rule (a rule without matches matches every request).
    func entries(_ route: AttachableRoute, rules: [CompiledRule], routeKey: String) -> [RouteEntry] {
        switch route {
        case .http(let route): httpEntries(route, rules: rules, routeKey: routeKey)
        case .grpc(let route): grpcEntries(route, rules: rules, routeKey: routeKey)
        }
    }

    func httpEntries(_ route: HTTPRoute, rules: [CompiledRule], routeKey: String) -> [RouteEntry] {
        var result: [RouteEntry] = []
        for (ruleIndex, rule) in (route.spec.rules ?? []).enumerated() where ruleIndex < rules.count {
            let matches = rule.matches.flatMap { $0.isEmpty ? nil : $0 } ?? [HTTPRouteMatch()]
            for (matchIndex, match) in matches.enumerated() {
                guard let compiled = try? Self.compileMatch(match) else { continue }
                let rank = RouteEntry.Rank(
                    pathKind: compiled.pathKind, pathLength: compiled.pathLength, hasMethod: compiled.match.method != nil,
                    headerCount: compiled.match.headers.count, queryCount: compiled.match.queryParams.count,
                    creationTimestamp: route.metadata.creationTimestamp ?? "", routeKey: routeKey,
                    ruleIndex: ruleIndex, matchIndex: matchIndex)
                result.append(RouteEntry(match: compiled.match, rule: rules[ruleIndex], rank: rank))
            }
        }
        return result
    }

    static func compileMatch(_ match: HTTPRouteMatch) throws -> (match: CompiledMatch, pathKind: Int, pathLength: Int) {
        let value = match.path?.value ?? "/"
        let path: CompiledMatch.Path
        let kind: Int
        switch match.path?.type ?? "PathPrefix" {
        case "Exact":
            path = .exact(value)
            kind = 0
        case "RegularExpression":
            path = .regex(try ProxyRegex(value))
            kind = 2
        default:
            let trimmed = value.count > 1 && value.hasSuffix("/") ? String(value.dropLast()) : value
            path = .prefix(trimmed == "/" ? "" : trimmed)
            kind = 1
        }
        let compiled = CompiledMatch(
            path: path, headers: try values(match.headers, lowercase: true),
            queryParams: try values(match.queryParams, lowercase: false), method: match.method)
        return (compiled, kind, value.count)
    }

    /// Header or query parameter matches (Exact, RegularExpression), header names lowercased.
    static func values(_ list: [HeaderMatch]?, lowercase: Bool) throws -> [(name: String, value: CompiledMatch.Value)] {
        try (list ?? []).map { item -> (name: String, value: CompiledMatch.Value) in
            let name = lowercase ? item.name.lowercased() : item.name
            if item.type == "RegularExpression" { return (name, .regex(try ProxyRegex(item.value))) }
            return (name, .exact(item.value))
        }
    }
}

extension LabelSelector {
    /// `matchLabels` and `matchExpressions` (In, NotIn, Exists, DoesNotExist) against a label set.
    func matches(_ labels: [String: String]) -> Bool {
        for (key, value) in matchLabels ?? [:] where labels[key] != value { return false }
        for requirement in matchExpressions ?? [] {
            let value = labels[requirement.key]
            let values = requirement.values ?? []
            switch requirement.operator {
            case "In": if value.map({ !values.contains($0) }) ?? true { return false }
            case "NotIn": if let value, values.contains(value) { return false }
            case "Exists": if value == nil { return false }
            case "DoesNotExist": if value != nil { return false }
            default: return false
            }
        }
        return true
    }
}
