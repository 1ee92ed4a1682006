import Foundation
import OrderedCollections

/// Evaluates CEL expressions with the functions the Kubernetes API server offers to
/// `x-kubernetes-validations` rules that Sluice meets: the standard operators and macros,
/// string functions (`startsWith`, `endsWith`, `contains`, `matches`, `split`, `size`),
/// conversions (`int`, `uint`, `double`, `string`, `duration`), and `in`.
public struct CELEvaluator: Sendable {
    public init() {}

    /// Evaluates `expression` with `variables` bound (`self`, `oldSelf`, ...). Rules evaluated
    /// many times should compile once with `CELProgram` instead.
    public func evaluate(_ expression: CELExpression, variables: [String: CELValue]) throws(CELError) -> CELValue {
        try CELProgram(expression).evaluate(variables: variables)
    }

    static func index(_ base: CELValue, _ key: CELValue) throws(CELError) -> CELValue {
        switch (base, key) {
        case (.jsonList(let items), .int(let position)):
            guard position >= 0, position < items.count else { throw CELError("index out of bounds: \(position)") }
            return CELValue(items[Int(position)])
        case (.jsonMap, .string(let name)):
            guard let value = base.member(name) ?? nil else { throw CELError("no such key: \(name)") }
            return value
        case (.list(let items), .int(let position)):
            guard position >= 0, position < items.count else { throw CELError("index out of bounds: \(position)") }
            return items[Int(position)]
        case (.list(let items), .uint(let position)):
            guard position < items.count else { throw CELError("index out of bounds: \(position)") }
            return items[Int(position)]
        case (.map(let members), .string(let name)):
            guard let value = members[name] else { throw CELError("no such key: \(name)") }
            return value
        default:
            throw CELError("no matching overload for '_[_]' applied to '(\(base.typeName), \(key.typeName))'")
        }
    }

    // MARK: - Functions

    static func call(_ function: String, _ values: [CELValue], isMethod: Bool) throws(CELError) -> CELValue {
        let result: CELValue?
        switch values.count {
        case 1: result = try unaryCall(function, values[0], isMethod: isMethod)
        case 2: result = try binaryCall(function, values[0], values[1], isMethod: isMethod)
        default: result = nil
        }
        guard let result else {
            let types = values.map(\.typeName).joined(separator: ", ")
            throw CELError("found no matching overload for '\(function)' applied to '(\(types))'")
        }
        return result
    }

    static func unaryCall(_ function: String, _ value: CELValue, isMethod: Bool) throws(CELError) -> CELValue? {
        switch (function, value) {
        case ("!_", .bool(let flag)): return .bool(!flag)
        case ("-_", .int(let number)):
            guard number != .min else { throw CELError("integer overflow") }
            return .int(-number)
        case ("-_", .double(let number)): return .double(-number)
        case ("size", .string(let text)): return .int(Int64(text.unicodeScalars.count))
        case ("size", .bytes(let bytes)): return .int(Int64(bytes.count))
        case ("size", .list), ("size", .jsonList), ("size", .map), ("size", .jsonMap):
            return .int(Int64(value.containerCount ?? 0))
        case ("lowerAscii", .string(let text)) where isMethod: return .string(text.lowercased())
        case ("upperAscii", .string(let text)) where isMethod: return .string(text.uppercased())
        case ("int", .int(let number)): return .int(number)
        case ("int", .uint(let number)):
            guard let value = Int64(exactly: number) else { throw CELError("integer overflow") }
            return .int(value)
        case ("int", .double(let number)):
            guard let value = Int64(exactly: number.rounded(.towardZero)) else { throw CELError("integer overflow") }
            return .int(value)
        case ("int", .string(let text)):
            guard let value = Int64(text) else { throw CELError("cannot convert '\(text)' to int") }
            return .int(value)
        case ("uint", .int(let number)):
            guard let value = UInt64(exactly: number) else { throw CELError("unsigned integer overflow") }
            return .uint(value)
        case ("double", .int(let number)): return .double(Double(number))
        case ("double", .uint(let number)): return .double(Double(number))
        case ("double", .double(let number)): return .double(number)
        case ("double", .string(let text)):
            guard let value = Double(text) else { throw CELError("cannot convert '\(text)' to double") }
            return .double(value)
        case ("string", .string(let text)): return .string(text)
        case ("string", .int(let number)): return .string(String(number))
        case ("string", .uint(let number)): return .string(String(number))
        case ("string", .double(let number)): return .string(GoFloat.format(number))
        case ("string", .bool(let flag)): return .string(flag ? "true" : "false")
        case ("duration", .string(let text)):
            guard let nanoseconds = Self.parseDuration(text) else { throw CELError("invalid duration '\(text)'") }
            return .duration(nanoseconds)
        case ("type", let value): return .type(value.typeName)
        default: return nil
        }
    }

    static func binaryCall(_ function: String, _ first: CELValue, _ second: CELValue, isMethod: Bool) throws(CELError) -> CELValue? {
        switch (function, first, second) {
        case ("_==_", let a, let b): return .bool(Self.equal(a, b))
        case ("_!=_", let a, let b): return .bool(!Self.equal(a, b))
        case ("_<_", let a, let b): return .bool(try Self.compare(a, b) < 0)
        case ("_<=_", let a, let b): return .bool(try Self.compare(a, b) <= 0)
        case ("_>_", let a, let b): return .bool(try Self.compare(a, b) > 0)
        case ("_>=_", let a, let b): return .bool(try Self.compare(a, b) >= 0)
        case ("@in", let element, .list(let items)): return .bool(items.contains { Self.equal($0, element) })
        case ("@in", let element, .jsonList(let items)): return .bool(items.contains { Self.equal(CELValue($0), element) })
        case ("@in", .string(let key), .map), ("@in", .string(let key), .jsonMap): return .bool((second.member(key) ?? nil) != nil)
        case ("_+_", .int(let a), .int(let b)): return .int(try Self.checked(a.addingReportingOverflow(b)))
        case ("_-_", .int(let a), .int(let b)): return .int(try Self.checked(a.subtractingReportingOverflow(b)))
        case ("_*_", .int(let a), .int(let b)): return .int(try Self.checked(a.multipliedReportingOverflow(by: b)))
        case ("_/_", .int(let a), .int(let b)):
            guard b != 0 else { throw CELError("division by zero") }
            return .int(try Self.checked(a.dividedReportingOverflow(by: b)))
        case ("_%_", .int(let a), .int(let b)):
            guard b != 0 else { throw CELError("modulus by zero") }
            return .int(try Self.checked(a.remainderReportingOverflow(dividingBy: b)))
        case ("_+_", .uint(let a), .uint(let b)): return .uint(try Self.checked(a.addingReportingOverflow(b)))
        case ("_-_", .uint(let a), .uint(let b)): return .uint(try Self.checked(a.subtractingReportingOverflow(b)))
        case ("_+_", .double(let a), .double(let b)): return .double(a + b)
        case ("_-_", .double(let a), .double(let b)): return .double(a - b)
        case ("_*_", .double(let a), .double(let b)): return .double(a * b)
        case ("_/_", .double(let a), .double(let b)): return .double(a / b)
        case ("_+_", .string(let a), .string(let b)): return .string(a + b)
        case ("_+_", .list, .list), ("_+_", .jsonList, .jsonList), ("_+_", .list, .jsonList), ("_+_", .jsonList, .list):
            return .list((first.listElements ?? []) + (second.listElements ?? []))
        case ("_+_", .duration(let a), .duration(let b)): return .duration(try Self.checked(a.addingReportingOverflow(b)))
        case ("startsWith", .string(let text), .string(let prefix)) where isMethod: return .bool(text.hasPrefix(prefix))
        case ("endsWith", .string(let text), .string(let suffix)) where isMethod: return .bool(text.hasSuffix(suffix))
        case ("contains", .string(let text), .string(let part)) where isMethod:
            return .bool(Self.contains(text, part))
        case ("matches", .string(let text), .string(let pattern)):
            guard let regex = PatternCache.shared.regex(for: pattern) else {
                throw CELError("invalid regular expression '\(pattern)'")
            }
            return .bool(regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil)
        case ("split", .string(let text), .string(let separator)) where isMethod:
            if separator.isEmpty { return .list(text.map { .string(String($0)) }) }
            return .list(text.components(separatedBy: separator).map(CELValue.string))
        default: return nil
        }
    }

    /// CEL's `contains` on strings: code points of valid UTF-8 match exactly where their bytes
    /// do, and a byte search costs far less than Foundation's (locale-aware) one.
    static func contains(_ text: String, _ part: String) -> Bool {
        var text = text
        var part = part
        return text.withUTF8 { haystack in
            part.withUTF8 { needle in
                guard let first = needle.first else { return true }
                guard needle.count <= haystack.count else { return false }
                var start = 0
                while start <= haystack.count - needle.count {
                    if haystack[start] == first, needle.indices.allSatisfy({ haystack[start + $0] == needle[$0] }) { return true }
                    start += 1
                }
                return false
            }
        }
    }

    private static func checked<T>(_ result: (partialValue: T, overflow: Bool)) throws(CELError) -> T {
        guard !result.overflow else { throw CELError("integer overflow") }
        return result.partialValue
    }

    /// CEL's heterogeneous equality: numbers compare by value across int, uint and double.
    static func equal(_ a: CELValue, _ b: CELValue) -> Bool {
        if let x = numeric(a), let y = numeric(b) { return x == y }
        if let left = a.listElements, let right = b.listElements {
            return left.count == right.count && zip(left, right).allSatisfy { equal($0, $1) }
        }
        if let leftKeys = a.mapKeys, let rightKeys = b.mapKeys {
            return Set(leftKeys) == Set(rightKeys)
                && leftKeys.allSatisfy { key in equal((a.member(key) ?? nil) ?? .null, (b.member(key) ?? nil) ?? .null) }
        }
        return a == b
    }

    private static func numeric(_ value: CELValue) -> Double? {
        switch value {
        case .int(let n): Double(n)
        case .uint(let n): Double(n)
        case .double(let n): n
        default: nil
        }
    }

    static func compare(_ a: CELValue, _ b: CELValue) throws(CELError) -> Int {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.uint(let x), .uint(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.string(let x), .string(let y)):
            let (l, r) = (Array(x.utf8), Array(y.utf8))
            return l == r ? 0 : (l.lexicographicallyPrecedes(r) ? -1 : 1)
        case (.duration(let x), .duration(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.bool(let x), .bool(let y)): return x == y ? 0 : (!x ? -1 : 1)
        default:
            if let x = numeric(a), let y = numeric(b) { return x < y ? -1 : (x == y ? 0 : 1) }
            throw CELError("found no matching overload for comparison of '\(a.typeName)' and '\(b.typeName)'")
        }
    }

    /// Go's time.ParseDuration: a sequence of decimal numbers with units ns, us, µs, ms, s, m, h.
    static func parseDuration(_ text: String) -> Int64? {
        var rest = Substring(text)
        var negative = false
        if rest.hasPrefix("-") || rest.hasPrefix("+") {
            negative = rest.hasPrefix("-")
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 6e10), ("h", 3.6e12)]
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let (unit, scale) = units.first(where: { rest.hasPrefix($0.0) && !(($0.0 == "m") && rest.hasPrefix("ms")) }) else {
                return nil
            }
            rest = rest.dropFirst(unit.count)
            total += value * scale
        }
        guard total <= Double(Int64.max) else { return nil }
        return Int64(negative ? -total : total)
    }

    private static let escapedKeywords: Set<String> = [
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
        "import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
    ]

    /// Kubernetes escapes property names that are CEL keywords or contain characters CEL
    /// identifiers cannot: `__namespace__`, `__dot__`, `__dash__`, `__slash__`, `__underscores__`.
    static func unescape(_ name: String) -> String {
        guard name.hasPrefix("__") else { return name }
        if name.hasSuffix("__"), name.count > 4 {
            let inner = String(name.dropFirst(2).dropLast(2))
            if escapedKeywords.contains(inner) { return inner }
        }
        return name.replacingOccurrences(of: "__underscores__", with: "__")
            .replacingOccurrences(of: "__dot__", with: ".").replacingOccurrences(of: "__dash__", with: "-")
            .replacingOccurrences(of: "__slash__", with: "/")
    }
}

/// The variables in scope: a handful at most (`self`, `oldSelf`, comprehension variables), so a
/// short list searched from the innermost binding outwards beats hashing every identifier.
struct CELScope {
    var bindings: [(name: String, value: CELValue)]
    /// Cost so far: one unit per evaluation step and per comprehension iteration, a simplified
    /// form of cel-go's runtime cost that the API server limits.
    var cost = 0
    var costLimit = Int.max

    init(bindings: [(name: String, value: CELValue)], costLimit: Int = .max) {
        self.bindings = bindings
        self.costLimit = costLimit
    }

    mutating func charge(_ units: Int = 1) throws(CELError) {
        cost += units
        if cost > costLimit { throw CELError("operation cancelled: actual cost limit exceeded") }
    }

    subscript(name: String) -> CELValue? {
        get {
            for binding in bindings.reversed() where binding.name == name { return binding.value }
            return nil
        }
        set {
            if let index = bindings.lastIndex(where: { $0.name == name }) {
                if let newValue { bindings[index].value = newValue } else { bindings.remove(at: index) }
            } else if let newValue {
                bindings.append((name, newValue))
            }
        }
    }
}
