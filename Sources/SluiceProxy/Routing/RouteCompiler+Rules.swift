import SluiceModel

extension CompilationState {
    /// Compiles every rule of a route once (shared by every listener it attaches to), with the first
    /// reference problem found for `ResolvedRefs`.
    /// A GRPCRoute's rules are compiled as the HTTPRoute rules they amount to (its filters are
    /// a subset of HTTPRoute's), with backends spoken to over h2c.
    mutating func compileRules(_ route: AttachableRoute, namespace: String, routeKey: String) -> ([CompiledRule], ReferenceProblem?) {
        let httpRules: [HTTPRouteRule]
        switch route {
        case .http(let route): httpRules = route.spec.rules ?? []
        case .grpc(let route): httpRules = (route.spec.rules ?? []).map(\.asHTTPRule)
        }
        let isGRPC = route.kind == "GRPCRoute"
        var problem: ReferenceProblem?
        var rules: [CompiledRule] = []
        for (index, rule) in httpRules.enumerated() {
            var backends: [WeightedBackend] = []
            for backendRef in rule.backendRefs ?? [] {
                let target: BackendTarget
                switch resolve(backendRef.reference, routeKind: route.kind, routeNamespace: namespace) {
                case .success(let backend): target = .backend(backend)
                case .failure(let failure):
                    target = .invalid(reason: failure.message)
                    if problem == nil { problem = failure }
                }
                let filters = Self.filters(backendRef.filters ?? [])
                backends.append(WeightedBackend(
                    weight: backendRef.weight ?? 1, target: target,
                    requestHeaders: filters.request, responseHeaders: filters.response))
            }
            let filters = rule.filters ?? []
            var mirrors: [Mirror] = []
            for filter in filters where filter.type == "RequestMirror" {
                guard let mirror = filter.requestMirror else { continue }
                switch resolve(mirror.backendRef, routeKind: route.kind, routeNamespace: namespace) {
                case .success(let backend):
                    let fraction: Double
                    if let percent = mirror.percent {
                        fraction = Double(percent) / 100
                    } else if let share = mirror.fraction {
                        fraction = Double(share.numerator) / Double(share.denominator ?? 100)
                    } else {
                        fraction = 1
                    }
                    mirrors.append(Mirror(backend: backend, fraction: fraction))
                case .failure(let failure):
                    if problem == nil { problem = failure }
                }
            }
            let headerFilters = Self.filters(filters)
            let redirect = filters.first { $0.type == "RequestRedirect" }?.requestRedirect.map { redirect in
                Redirect(
                    scheme: redirect.scheme, hostname: redirect.hostname, port: redirect.port,
                    path: redirect.path.flatMap(Self.pathModifier), statusCode: redirect.statusCode ?? 302)
            }
            let rewrite = filters.first { $0.type == "URLRewrite" }?.urlRewrite.map { rewrite in
                Rewrite(hostname: rewrite.hostname, path: rewrite.path.flatMap(Self.pathModifier))
            }
            let cors = filters.first { $0.type == "CORS" }?.cors.map(CORSPolicy.init)
            rules.append(CompiledRule(
                route: routeKey, ruleIndex: index,
                requestHeaders: headerFilters.request, responseHeaders: headerFilters.response,
                redirect: redirect, rewrite: rewrite, cors: cors, mirrors: mirrors, backends: backends,
                requestTimeout: rule.timeouts?.request.flatMap(GatewayDuration.parse).flatMap { $0 == .zero ? nil : $0 },
                backendTimeout: rule.timeouts?.backendRequest.flatMap(GatewayDuration.parse).flatMap { $0 == .zero ? nil : $0 },
                isGRPC: isGRPC))
        }
        return (rules, problem)
    }

    static func filters(_ filters: [HTTPRouteFilter]) -> (request: HeaderModifier?, response: HeaderModifier?) {
        // Content-Length and Transfer-Encoding are left out: the proxy frames each message
        // itself, and a filter that changed them would desynchronize the connection.
        func modifier(_ filter: HTTPHeaderFilter?) -> HeaderModifier? {
            guard let filter else { return nil }
            return HeaderModifier(
                set: (filter.set ?? []).filter { !RequestRewriting.isFramingField($0.name) }.map { ($0.name, $0.value) },
                add: (filter.add ?? []).filter { !RequestRewriting.isFramingField($0.name) }.map { ($0.name, $0.value) },
                remove: (filter.remove ?? []).filter { !RequestRewriting.isFramingField($0) })
        }
        let request = filters.first { $0.type == "RequestHeaderModifier" }.flatMap { modifier($0.requestHeaderModifier) }
        let response = filters.first { $0.type == "ResponseHeaderModifier" }.flatMap { modifier($0.responseHeaderModifier) }
        return (request, response)
    }

    static func pathModifier(_ modifier: HTTPRouteFilter.PathModifier) -> PathModifier? {
        switch modifier.type {
        case "ReplaceFullPath": modifier.replaceFullPath.map(PathModifier.replaceFullPath)
        case "ReplacePrefixMatch": modifier.replacePrefixMatch.map(PathModifier.replacePrefixMatch)
        default: nil
        }
    }

    /// A backendRef of a route of `routeKind` to its ready endpoints, or the reason
    /// (`InvalidKind`, `RefNotPermitted`, `BackendNotFound`, `UnsupportedProtocol`) it cannot be
    /// used. A GRPCRoute's backends speak HTTP/2 whatever their `appProtocol` says (gRPC is
    /// HTTP/2 only), over cleartext with prior knowledge.
    mutating func resolve(_ ref: BackendObjectReference, routeKind: String, routeNamespace: String) -> Result<ResolvedBackend, ReferenceProblem> {
        guard ref.isService else {
            return .failure(ReferenceProblem(
                reason: "InvalidKind", message: "backendRef \(ref.name): kind \(ref.group ?? "")/\(ref.kind ?? "") is not supported"))
        }
        let namespace = ref.namespace ?? routeNamespace
        if namespace != routeNamespace,
            !granted(from: (RouteCompiler.gatewayGroup, routeKind, routeNamespace), to: ("", "Service", ref.name), in: namespace)
        {
            return .failure(ReferenceProblem(
                reason: "RefNotPermitted", message: "no ReferenceGrant in \(namespace) allows a reference to Service \(ref.name)"))
        }
        guard let service = input.services.first(where: { $0.metadata.name == ref.name && ($0.metadata.namespace ?? "default") == namespace }) else {
            return .failure(ReferenceProblem(reason: "BackendNotFound", message: "Service \(namespace)/\(ref.name) not found"))
        }
        guard let port = ref.port, let servicePort = service.spec.ports?.first(where: { $0.port == port }) else {
            return .failure(ReferenceProblem(
                reason: "BackendNotFound", message: "Service \(namespace)/\(ref.name) has no port \(ref.port.map { "\($0)" } ?? "(none given)")"))
        }
        if let appProtocol = servicePort.appProtocol, Endpoint.WireProtocol.needsTLS(appProtocol) {
            return .failure(ReferenceProblem(
                reason: "UnsupportedProtocol",
                message: "Service \(namespace)/\(ref.name) port \(port) has appProtocol \(appProtocol): Sluice does not speak TLS to backends"))
        }
        let key = BackendKey(namespace: namespace, name: ref.name, port: port)
        let slot: Int
        if let known = backendSlots[key] {
            slot = known
        } else {
            slot = backendKeys.count
            backendKeys.append(key)
            backendSlots[key] = slot
        }
        var endpoints: [Endpoint] = []
        let wireProtocol = routeKind == "GRPCRoute" ? .h2c : Endpoint.WireProtocol(appProtocol: servicePort.appProtocol)
        for slice in input.endpointSlices
        where (slice.metadata.namespace ?? "default") == namespace && slice.metadata.labels?[EndpointSlice.serviceNameLabel] == ref.name {
            guard let slicePort = slice.ports?.first(where: { ($0.name ?? "") == (servicePort.name ?? "") })?.port else { continue }
            for endpoint in slice.endpoints ?? [] where endpoint.conditions?.ready != false {
                for address in endpoint.addresses { endpoints.append(Endpoint(host: address, port: slicePort, wireProtocol: wireProtocol)) }
            }
        }
        return .success(ResolvedBackend(key: key, endpoints: endpoints, slot: slot))
    }
}

/// Gateway API durations: up to four `<number><unit>` parts, units h, m, s, ms (`1h30m`, `500ms`).
public enum GatewayDuration {
    public static func parse(_ text: String) -> Duration? {
        var total = Duration.zero
        var number = 0
        var digits = 0
        var index = text.startIndex
        var parts = 0
        while index < text.endIndex {
            let character = text[index]
            if let digit = character.wholeNumberValue, character.isASCII {
                number = number * 10 + digit
                digits += 1
                index = text.index(after: index)
                continue
            }
            guard digits > 0 else { return nil }
            let rest = text[index...]
            if rest.hasPrefix("ms") {
                total += .milliseconds(number)
                index = text.index(index, offsetBy: 2)
            } else if character == "h" {
                total += .seconds(number * 3600)
                index = text.index(after: index)
            } else if character == "m" {
                total += .seconds(number * 60)
                index = text.index(after: index)
            } else if character == "s" {
                total += .seconds(number)
                index = text.index(after: index)
            } else {
                return nil
            }
            parts += 1
            number = 0
            digits = 0
        }
        return digits == 0 && parts > 0 && parts <= 4 ? total : nil
    }
}
