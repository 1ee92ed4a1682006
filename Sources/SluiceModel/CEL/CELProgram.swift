import OrderedCollections

/// A CEL expression compiled once into closures: field names unescaped, functions resolved,
/// macros laid out, so that evaluating a rule on thousands of objects walks no syntax tree.
public struct CELProgram: Sendable {
    typealias Step = @Sendable (inout CELScope) throws(CELError) -> CELValue
    private let run: Step

    public init(_ expression: CELExpression) {
        run = Self.compile(expression)
    }

    public func evaluate(variables: [String: CELValue]) throws(CELError) -> CELValue {
        var scope = CELScope(bindings: variables.map { ($0.key, $0.value) })
        return try run(&scope)
    }

    /// Evaluates with `self` (and, for transition rules, `oldSelf`) bound, stopping once the
    /// cost passes `costLimit`; returns the result and the cost spent.
    func evaluate(self value: CELValue, oldSelf: CELValue?, costLimit: Int) throws(CELError) -> (CELValue, cost: Int) {
        var scope = CELScope(bindings: [("self", value)], costLimit: costLimit)
        if let oldSelf { scope.bindings.append(("oldSelf", oldSelf)) }
        let result = try run(&scope)
        return (result, scope.cost)
    }

    private static func compile(_ expression: CELExpression) -> Step {
        switch expression {
        case .literal(let value):
            return { _ throws(CELError) in value }
        case .identifier(let name):
            return { scope throws(CELError) in
                try scope.charge()
                guard let value = scope[name] else { throw CELError("undeclared reference to '\(name)'") }
                return value
            }
        case .select(let operand, let field):
            let base = compile(operand)
            let key = CELEvaluator.unescape(field)
            return { scope throws(CELError) in
                try scope.charge()
                let value = try base(&scope)
                if case .jsonMap(let members) = value {
                    guard let member = members[key] else { throw CELError("no such key: \(key)") }
                    return CELValue(member)
                }
                guard let member = value.member(key) else {
                    throw CELError("type '\(value.typeName)' does not support field selection")
                }
                guard let found = member else { throw CELError("no such key: \(key)") }
                return found
            }
        case .presence(let operand, let field):
            let base = compile(operand)
            let key = CELEvaluator.unescape(field)
            return { scope throws(CELError) in
                try scope.charge()
                let value = try base(&scope)
                if case .jsonMap(let members) = value { return .bool(members[key] != nil) }
                guard let member = value.member(key) else {
                    throw CELError("invalid type for field selection: \(value.typeName)")
                }
                return .bool(member != nil)
            }
        case .index(let operand, let indexExpression):
            let base = compile(operand)
            let index = compile(indexExpression)
            return { scope throws(CELError) in try CELEvaluator.index(try base(&scope), try index(&scope)) }
        case .list(let items):
            let steps = items.map(compile)
            return { scope throws(CELError) in
                try scope.charge()
                var values: [CELValue] = []
                values.reserveCapacity(steps.count)
                for step in steps { values.append(try step(&scope)) }
                return .list(values)
            }
        case .map(let entries):
            let steps = entries.map { (compile($0.key), compile($0.value)) }
            return { scope throws(CELError) in
                try scope.charge()
                var members: OrderedDictionary<String, CELValue> = [:]
                for (key, value) in steps {
                    guard case .string(let name) = try key(&scope) else {
                        throw CELError("map keys other than strings are not supported")
                    }
                    members[name] = try value(&scope)
                }
                return .map(members)
            }
        case .conditional(let condition, let then, let otherwise):
            let test = compile(condition)
            let yes = compile(then)
            let no = compile(otherwise)
            return { scope throws(CELError) in
                try scope.charge()
                guard case .bool(let flag) = try test(&scope) else { throw CELError("no matching overload for '_?_:_'") }
                return try flag ? yes(&scope) : no(&scope)
            }
        case .comprehension(let macro, let range, let variable, let arguments):
            return comprehension(macro, compile(range), variable, arguments.map(compile))
        case .call(nil, "_&&_", let arguments):
            return logical(arguments.map(compile), decidingValue: false)
        case .call(nil, "_||_", let arguments):
            return logical(arguments.map(compile), decidingValue: true)
        case .call(let target, let function, let arguments):
            let steps = (target.map { [$0] } ?? []) .map(compile) + arguments.map(compile)
            let isMethod = target != nil
            switch steps.count {
            case 1:
                let only = steps[0]
                return { scope throws(CELError) in
                try scope.charge()
                    let value = try only(&scope)
                    guard let result = try CELEvaluator.unaryCall(function, value, isMethod: isMethod) else {
                        throw CELError("found no matching overload for '\(function)' applied to '(\(value.typeName))'")
                    }
                    return result
                }
            case 2:
                let (first, second) = (steps[0], steps[1])
                return { scope throws(CELError) in
                try scope.charge()
                    let a = try first(&scope)
                    let b = try second(&scope)
                    guard let result = try CELEvaluator.binaryCall(function, a, b, isMethod: isMethod) else {
                        throw CELError("found no matching overload for '\(function)' applied to '(\(a.typeName), \(b.typeName))'")
                    }
                    return result
                }
            default:
                return { scope throws(CELError) in
                try scope.charge()
                    var values: [CELValue] = []
                    for step in steps { values.append(try step(&scope)) }
                    return try CELEvaluator.call(function, values, isMethod: isMethod)
                }
            }
        }
    }

    /// `&&` and `||` are commutative in CEL: an error on one side is absorbed when another side
    /// decides the result (`false` for `&&`, `true` for `||`).
    private static func logical(_ steps: [Step], decidingValue: Bool) -> Step {
        let name = decidingValue ? "_||_" : "_&&_"
        return { scope throws(CELError) in
            try scope.charge()
            var firstError: CELError?
            for step in steps {
                do throws(CELError) {
                    let value = try step(&scope)
                    guard case .bool(let flag) = value else {
                        throw CELError("no matching overload for '\(name)' applied to '(\(value.typeName))'")
                    }
                    if flag == decidingValue { return .bool(decidingValue) }
                } catch {
                    if firstError == nil { firstError = error }
                }
            }
            if let firstError { throw firstError }
            return .bool(!decidingValue)
        }
    }

    private static func comprehension(
        _ macro: CELExpression.Macro, _ range: @escaping Step, _ variable: String, _ arguments: [Step]
    ) -> Step {
        let predicate = arguments[0]
        let transform = arguments[arguments.count - 1]
        return { scope throws(CELError) in
            let source = try range(&scope)
            guard let elements = source.listElements ?? source.mapKeys?.map(CELValue.string) else {
                throw CELError("expression of type '\(source.typeName)' cannot be range of a comprehension")
            }
            scope.bindings.append((variable, .null))
            let slot = scope.bindings.count - 1
            defer { scope.bindings.removeLast() }
            func test(_ element: CELValue, _ scope: inout CELScope) throws(CELError) -> Bool {
                try scope.charge()
                scope.bindings[slot].value = element
                guard case .bool(let flag) = try predicate(&scope) else {
                    throw CELError("expected a boolean predicate in \(macro.rawValue)()")
                }
                return flag
            }
            switch macro {
            case .all, .exists:
                let deciding = macro == .exists
                var firstError: CELError?
                for element in elements {
                    do throws(CELError) {
                        if try test(element, &scope) == deciding { return .bool(deciding) }
                    } catch {
                        if firstError == nil { firstError = error }
                    }
                }
                if let firstError { throw firstError }
                return .bool(!deciding)
            case .existsOne:
                var count = 0
                for element in elements where try test(element, &scope) { count += 1 }
                return .bool(count == 1)
            case .filter:
                var kept: [CELValue] = []
                for element in elements where try test(element, &scope) { kept.append(element) }
                return .list(kept)
            case .map:
                var mapped: [CELValue] = []
                for element in elements {
                    if arguments.count == 2, try !test(element, &scope) { continue }
                    scope.bindings[slot].value = element
                    mapped.append(try transform(&scope))
                }
                return .list(mapped)
            }
        }
    }
}
