/// A parsed CEL expression. Macros (`has`, `all`, `exists`, `exists_one`, `filter`, `map`)
/// are expanded at parse time into their own nodes, as cel-go does.
public indirect enum CELExpression: Sendable, Equatable {
    case literal(CELValue)
    case identifier(String)
    case select(CELExpression, field: String)
    /// `has(operand.field)`.
    case presence(CELExpression, field: String)
    case index(CELExpression, CELExpression)
    /// A function or method call; operators are calls too (`_&&_`, `_+_`, `!_`, ...).
    case call(target: CELExpression?, function: String, arguments: [CELExpression])
    case list([CELExpression])
    case map([MapEntry])
    case conditional(CELExpression, CELExpression, CELExpression)
    case comprehension(Macro, range: CELExpression, variable: String, arguments: [CELExpression])

    public struct MapEntry: Sendable, Equatable {
        public var key: CELExpression
        public var value: CELExpression
    }

    public enum Macro: String, Sendable, Equatable {
        case all, exists, existsOne = "exists_one", filter, map
    }

    /// Parses `text`; a syntax error names what was found where.
    public init(parsing text: String) throws(CELError) {
        var parser = CELParser(tokens: try CELLexer.tokens(text))
        self = try parser.expression()
        guard parser.current == .end else {
            throw CELError("Syntax error: unexpected \(parser.current) after a complete expression")
        }
    }

    /// Whether the expression refers to `oldSelf` (a transition rule).
    public var usesOldSelf: Bool {
        switch self {
        case .identifier(let name): name == "oldSelf"
        case .literal: false
        case .select(let operand, _), .presence(let operand, _): operand.usesOldSelf
        case .index(let a, let b): a.usesOldSelf || b.usesOldSelf
        case .call(let target, _, let arguments): (target?.usesOldSelf ?? false) || arguments.contains { $0.usesOldSelf }
        case .list(let items): items.contains { $0.usesOldSelf }
        case .map(let entries): entries.contains { $0.key.usesOldSelf || $0.value.usesOldSelf }
        case .conditional(let a, let b, let c): a.usesOldSelf || b.usesOldSelf || c.usesOldSelf
        case .comprehension(_, let range, _, let arguments): range.usesOldSelf || arguments.contains { $0.usesOldSelf }
        }
    }
}

/// Recursive descent over the CEL grammar, lowest precedence first.
struct CELParser {
    private let tokens: [CELToken]
    private var position = 0
    private var depth = 0

    init(tokens: [CELToken]) { self.tokens = tokens }

    var current: CELToken { tokens[position] }

    private mutating func advance() { if position < tokens.count - 1 { position += 1 } }

    private mutating func accept(_ symbol: String) -> Bool {
        if current == .symbol(symbol) {
            advance()
            return true
        }
        return false
    }

    private mutating func expect(_ symbol: String) throws(CELError) {
        guard accept(symbol) else { throw CELError("Syntax error: expected '\(symbol)', found \(current)") }
    }

    mutating func expression() throws(CELError) -> CELExpression {
        depth += 1
        defer { depth -= 1 }
        guard depth < 250 else { throw CELError("Syntax error: expression nests too deeply") }
        let condition = try binary(level: 0)
        guard accept("?") else { return condition }
        let then = try binary(level: 0)
        try expect(":")
        let otherwise = try expression()
        return .conditional(condition, then, otherwise)
    }

    private static let levels: [[String]] = [
        ["||"], ["&&"], ["==", "!=", "<", "<=", ">", ">=", "in"], ["+", "-"], ["*", "/", "%"],
    ]

    private func operatorAtLevel(_ level: Int) -> String? {
        switch current {
        case .symbol(let symbol) where Self.levels[level].contains(symbol): symbol
        case .identifier("in") where level == 2: "in"
        default: nil
        }
    }

    private mutating func binary(level: Int) throws(CELError) -> CELExpression {
        if level == Self.levels.count { return try unary() }
        var left = try binary(level: level + 1)
        while let symbol = operatorAtLevel(level) {
            advance()
            let right = try binary(level: level + 1)
            let function = symbol == "in" ? "@in" : "_\(symbol)_"
            left = .call(target: nil, function: function, arguments: [left, right])
        }
        return left
    }

    private mutating func unary() throws(CELError) -> CELExpression {
        if accept("!") { return .call(target: nil, function: "!_", arguments: [try unary()]) }
        if accept("-") {
            // Fold negative literals, so that -9223372036854775808 parses.
            if case .int(let value) = current, value >= 0 {
                advance()
                return try member(.literal(.int(-value)))
            }
            return .call(target: nil, function: "-_", arguments: [try unary()])
        }
        return try member(try primary())
    }

    private mutating func member(_ start: CELExpression) throws(CELError) -> CELExpression {
        var expression = start
        while true {
            if accept(".") {
                guard case .identifier(let name) = current else {
                    throw CELError("Syntax error: expected a field name after '.', found \(current)")
                }
                advance()
                if accept("(") {
                    let arguments = try argumentList(closing: ")")
                    expression = try macro(target: expression, name: name, arguments: arguments)
                        ?? .call(target: expression, function: name, arguments: arguments)
                } else {
                    expression = .select(expression, field: name)
                }
            } else if accept("[") {
                let index = try self.expression()
                try expect("]")
                expression = .index(expression, index)
            } else {
                return expression
            }
        }
    }

    private mutating func primary() throws(CELError) -> CELExpression {
        let token = current
        advance()
        switch token {
        case .int(let value): return .literal(.int(value))
        case .uint(let value): return .literal(.uint(value))
        case .double(let value): return .literal(.double(value))
        case .string(let value): return .literal(.string(value))
        case .bytes(let value): return .literal(.bytes(value))
        case .identifier("true"): return .literal(.bool(true))
        case .identifier("false"): return .literal(.bool(false))
        case .identifier("null"): return .literal(.null)
        case .identifier(let name):
            if accept("(") {
                let arguments = try argumentList(closing: ")")
                if name == "has" {
                    guard arguments.count == 1, case .select(let operand, let field) = arguments[0] else {
                        throw CELError("invalid argument to has() macro")
                    }
                    return .presence(operand, field: field)
                }
                return .call(target: nil, function: name, arguments: arguments)
            }
            return .identifier(name)
        case .symbol("("):
            let inner = try expression()
            try expect(")")
            return inner
        case .symbol("["):
            return .list(try argumentList(closing: "]"))
        case .symbol("{"):
            var entries: [CELExpression.MapEntry] = []
            while !accept("}") {
                let key = try expression()
                try expect(":")
                entries.append(.init(key: key, value: try expression()))
                if !accept(",") {
                    try expect("}")
                    break
                }
            }
            return .map(entries)
        default:
            throw CELError("Syntax error: unexpected \(token)")
        }
    }

    private mutating func argumentList(closing: String) throws(CELError) -> [CELExpression] {
        var arguments: [CELExpression] = []
        if accept(closing) { return arguments }
        while true {
            arguments.append(try expression())
            if accept(closing) { return arguments }
            try expect(",")
            if accept(closing) { return arguments }  // trailing comma
        }
    }

    private func macro(target: CELExpression, name: String, arguments: [CELExpression]) throws(CELError)
        -> CELExpression?
    {
        guard let macro = CELExpression.Macro(rawValue: name) else { return nil }
        let expectedCounts = macro == .map ? [2, 3] : [2]
        guard expectedCounts.contains(arguments.count), case .identifier(let variable) = arguments[0] else {
            throw CELError("invalid arguments to \(name)() macro")
        }
        return .comprehension(macro, range: target, variable: variable, arguments: Array(arguments.dropFirst()))
    }
}
