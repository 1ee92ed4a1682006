import Foundation
import SluiceModel

/// GRPCRoutes: a gRPC call is an HTTP/2 POST to `/<service>/<method>`, so a route's method matches
/// compile to path matches of the HTTP table, and its rules to HTTPRoute rules.
extension CompilationState {
    func grpcEntries(_ route: GRPCRoute, rules: [CompiledRule], routeKey: String) -> [RouteEntry] {
        var result: [RouteEntry] = []
        for (ruleIndex, rule) in (route.spec.rules ?? []).enumerated() where ruleIndex < rules.count {
            let matches = rule.matches.flatMap { $0.isEmpty ? nil : $0 } ?? [GRPCRouteMatch()]
            for (matchIndex, match) in matches.enumerated() {
                guard let compiled = try? Self.compileMatch(match) else { continue }
                let rank = RouteEntry.Rank(
                    pathKind: 0, pathLength: 0, hasMethod: false, headerCount: compiled.match.headers.count, queryCount: 0,
                    grpc: (compiled.serviceLength, compiled.methodLength),
                    creationTimestamp: route.metadata.creationTimestamp ?? "", routeKey: routeKey,
                    ruleIndex: ruleIndex, matchIndex: matchIndex)
                result.append(RouteEntry(match: compiled.match, rule: rules[ruleIndex], rank: rank))
            }
        }
        return result
    }

    /// `method` as a path match: Exact service and method is the path itself; a service alone,
    /// the prefix `/<service>`; a method alone, any service's; RegularExpression, both parts'
    /// patterns (an omitted part matches any). The lengths rank matches as the spec orders them.
    static func compileMatch(_ match: GRPCRouteMatch) throws -> (match: CompiledMatch, serviceLength: Int, methodLength: Int) {
        let service = match.method?.service.flatMap { $0.isEmpty ? nil : $0 }
        let method = match.method?.method.flatMap { $0.isEmpty ? nil : $0 }
        let path: CompiledMatch.Path
        switch (match.method?.type ?? "Exact", service, method) {
        case (_, nil, nil):
            path = .prefix("")
        case ("RegularExpression", _, _):
            path = .regex(try ProxyRegex("/(?:\(service ?? "[^/]+"))/(?:\(method ?? "[^/]+"))"))
        case (_, let service?, let method?):
            path = .exact("/\(service)/\(method)")
        case (_, let service?, nil):
            path = .prefix("/\(service)")
        case (_, nil, let method?):
            path = .regex(try ProxyRegex("/[^/]+/\(NSRegularExpression.escapedPattern(for: method))"))
        }
        let compiled = CompiledMatch(path: path, headers: try values(match.headers, lowercase: true), queryParams: [], method: nil)
        return (compiled, service?.count ?? 0, method?.count ?? 0)
    }

    /// Where an HTTPRoute and a GRPCRoute attach to one listener with intersecting hostnames, the
    /// spec accepts one of them there: the older, then the first by namespace/name. Worked out
    /// before any route attaches, so the order routes are compiled in does not decide.
    func kindConflicts() -> KindConflicts {
        guard !input.grpcRoutes.isEmpty, !input.httpRoutes.isEmpty else { return KindConflicts() }
        var claims: [ListenerKey: [KindConflicts.Claim]] = [:]
        let routes = input.httpRoutes.map(AttachableRoute.http) + input.grpcRoutes.map(AttachableRoute.grpc)
        for route in routes {
            for parentRef in route.parentRefs {
                guard let ownerKey = Self.listenersKey(of: parentRef, routeNamespace: route.namespace),
                    let ownListeners = listeners[ownerKey], case .success(let selected) = select(ownListeners, for: parentRef, route: route)
                else { continue }
                for (index, hosts) in selected {
                    claims[ListenerKey(owner: ownerKey, index: index), default: []].append(KindConflicts.Claim(
                        kind: route.kind, routeKey: route.routeKey, creationTimestamp: route.metadata.creationTimestamp ?? "",
                        hosts: hosts))
                }
            }
        }
        var conflicts = KindConflicts()
        for (listener, listenerClaims) in claims {
            for claim in listenerClaims {
                let winner = listenerClaims
                    .filter { $0.kind != claim.kind && $0.precedes(claim) && $0.intersects(claim) }
                    .min { $0.precedes($1) }
                if let winner { conflicts.losers[KindConflicts.LoserKey(kind: claim.kind, routeKey: claim.routeKey, listener: listener)] = winner }
            }
        }
        return conflicts
    }
}

/// A listener, by its owner's key in `CompilationState.listeners` and its index there.
struct ListenerKey: Hashable {
    var owner: String
    var index: Int
}

/// The listeners each route loses to a route of the other kind (see `kindConflicts`).
struct KindConflicts {
    struct Claim {
        var kind: String
        var routeKey: String
        var creationTimestamp: String
        var hosts: [Hostname?]

        func precedes(_ other: Claim) -> Bool {
            (creationTimestamp, routeKey) < (other.creationTimestamp, other.routeKey)
        }

        /// Whether some hostname of each (`nil`: any) matches a common host.
        func intersects(_ other: Claim) -> Bool {
            hosts.contains { mine in
                other.hosts.contains { theirs in
                    guard let mine, let theirs else { return true }
                    return Hostname.intersection(listener: mine, route: theirs) != nil
                }
            }
        }
    }

    struct LoserKey: Hashable {
        var kind: String
        var routeKey: String
        var listener: ListenerKey
    }

    var losers: [LoserKey: Claim] = [:]

    /// The route of the other kind that keeps `listener` from `route`, if one does.
    func winner(over route: AttachableRoute, ownerKey: String, listener index: Int) -> Claim? {
        losers[LoserKey(kind: route.kind, routeKey: route.routeKey, listener: ListenerKey(owner: ownerKey, index: index))]
    }
}

extension GRPCRouteRule {
    /// The HTTPRoute rule with this rule's filters and backends (matches are compiled apart).
    var asHTTPRule: HTTPRouteRule {
        HTTPRouteRule(
            name: name, matches: nil, filters: filters?.map(\.asHTTPFilter),
            backendRefs: backendRefs?.map { ref in
                var backend = HTTPBackendRef(name: ref.name, namespace: ref.namespace, port: ref.port, weight: ref.weight)
                backend.group = ref.group
                backend.kind = ref.kind
                backend.filters = ref.filters?.map(\.asHTTPFilter)
                return backend
            })
    }
}

extension GRPCRouteFilter {
    var asHTTPFilter: HTTPRouteFilter {
        var filter = HTTPRouteFilter(type: type)
        filter.requestHeaderModifier = requestHeaderModifier
        filter.responseHeaderModifier = responseHeaderModifier
        filter.requestMirror = requestMirror
        filter.extensionRef = extensionRef
        return filter
    }
}
