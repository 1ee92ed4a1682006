import SluiceModel

/// Reads and overlays the backend weights of one rule of an HTTPRoute or GRPCRoute `Object`,
/// the rule a Canary's `routeRef` names (by `ruleName`, by index, or the only rule).
public struct RouteRuleSelector: Sendable, Hashable {
    public var ruleName: String?
    public var ruleIndex: Int?

    public init(ruleName: String? = nil, ruleIndex: Int? = nil) {
        self.ruleName = ruleName
        self.ruleIndex = ruleIndex
    }

    /// One backend of the rule, as the Canary's status names it.
    public struct Backend: Sendable, Hashable, Codable, CustomStringConvertible {
        public var name: String
        public var namespace: String?
        public var port: Int?
        public var weight: Int

        public init(name: String, namespace: String? = nil, port: Int? = nil, weight: Int) {
            self.name = name
            self.namespace = namespace
            self.port = port
            self.weight = weight
        }

        public var description: String {
            (namespace.map { "\($0)/" } ?? "") + name + (port.map { ":\($0)" } ?? "")
        }

        /// Two backends are the same when they point at the same thing, whatever their weights.
        func sameTarget(as other: Backend) -> Bool {
            name == other.name && namespace == other.namespace && port == other.port
        }
    }

    /// Why a rule could not be found or read.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var route: ObjectReference
        public var message: String
        public var description: String { "\(route): \(message)" }

        public init(route: ObjectReference, message: String) {
            self.route = route
            self.message = message
        }
    }

    /// The index of the selected rule in `route`.
    public func ruleIndex(in route: Object) throws(Failure) -> Int {
        let rules = route[FieldPath(parsing: "spec.rules")]?.arrayValue ?? []
        if let ruleName {
            guard let index = rules.firstIndex(where: { $0["name"]?.stringValue == ruleName }) else {
                throw Failure(route: route.reference, message: "no rule named \"\(ruleName)\" in spec.rules")
            }
            return index
        }
        if let ruleIndex {
            guard rules.indices.contains(ruleIndex) else {
                throw Failure(route: route.reference, message: "spec.rules[\(ruleIndex)] does not exist (\(rules.count) rules)")
            }
            return ruleIndex
        }
        guard rules.count == 1 else {
            throw Failure(
                route: route.reference,
                message: "the route has \(rules.count) rules: name one with routeRef.ruleName or routeRef.rule")
        }
        return 0
    }

    /// The selected rule's backends, weights defaulted to 1 as the API server does.
    public func backends(of route: Object) throws(Failure) -> [Backend] {
        let index = try ruleIndex(in: route)
        let references = route[FieldPath(parsing: "spec.rules[\(index)].backendRefs")]?.arrayValue ?? []
        return references.map { reference in
            Backend(
                name: reference["name"]?.stringValue ?? "",
                namespace: reference["namespace"]?.stringValue,
                port: reference["port"]?.integerValue.map { Int($0) },
                weight: reference["weight"]?.integerValue.map { Int($0) } ?? 1)
        }
    }

    /// `live`'s weights in the order of `desired`'s backends; a backend the live rule lacks has 0.
    public static func align(live: [Backend], to desired: [Backend]) -> [Int] {
        desired.map { wanted in live.first { $0.sameTarget(as: wanted) }?.weight ?? 0 }
    }

    /// `route` with the selected rule's backend weights replaced by `weights` (in backend order).
    public func overlay(_ weights: [Int], on route: Object) throws(Failure) -> Object {
        let index = try ruleIndex(in: route)
        guard case .object(var spec)? = route.content["spec"],
              case .array(var rules)? = spec["rules"],
              case .object(var rule) = rules[index],
              case .array(var references)? = rule["backendRefs"], references.count == weights.count
        else {
            throw Failure(route: route.reference, message: "spec.rules[\(index)].backendRefs does not have \(weights.count) backends")
        }
        for (position, weight) in weights.enumerated() {
            guard case .object(var reference) = references[position] else { continue }
            reference["weight"] = .integer(Int64(weight))
            references[position] = .object(reference)
        }
        rule["backendRefs"] = .array(references)
        rules[index] = .object(rule)
        spec["rules"] = .array(rules)
        var overlaid = route
        overlaid.content["spec"] = .object(spec)
        return overlaid
    }
}
