/// Tokens of the CEL grammar (cel-spec `langdef.md`).
enum CELToken: Equatable {
    case int(Int64), uint(UInt64), double(Double), string(String), bytes([UInt8])
    case identifier(String)
    case symbol(String)
    case end
}

/// Splits a CEL expression into tokens.
struct CELLexer {
    private let scalars: [Unicode.Scalar]
    private var position = 0

    init(_ text: String) { scalars = Array(text.unicodeScalars) }

    static func tokens(_ text: String) throws(CELError) -> [CELToken] {
        var lexer = CELLexer(text)
        var tokens: [CELToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token == .end { return tokens }
        }
    }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        position + offset < scalars.count ? scalars[position + offset] : nil
    }

    private static func isDigit(_ s: Unicode.Scalar?) -> Bool { s.map { ("0"..."9").contains($0) } ?? false }
    private static func isIdentifierStart(_ s: Unicode.Scalar?) -> Bool {
        s.map { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || $0 == "_" } ?? false
    }

    mutating func next() throws(CELError) -> CELToken {
        while let s = peek(), s == " " || s == "\n" || s == "\t" || s == "\r" { position += 1 }
        // Comments run to the end of the line.
        if peek() == "/", peek(1) == "/" {
            while let s = peek(), s != "\n" { position += 1 }
            return try next()
        }
        guard let first = peek() else { return .end }
        if Self.isDigit(first) || (first == "." && Self.isDigit(peek(1))) { return try number() }
        if (first == "r" || first == "R" || first == "b" || first == "B"),
            let quote = peek(1), quote == "'" || quote == "\""
        {
            position += 1
            let text = try string(raw: first == "r" || first == "R")
            return first == "b" || first == "B" ? .bytes(Array(text.utf8)) : .string(text)
        }
        if first == "'" || first == "\"" { return .string(try string(raw: false)) }
        if Self.isIdentifierStart(first) {
            var name = ""
            while let s = peek(), Self.isIdentifierStart(s) || Self.isDigit(s) {
                name.unicodeScalars.append(s)
                position += 1
            }
            return .identifier(name)
        }
        for symbol in ["==", "!=", "<=", ">=", "&&", "||"] where peek() == symbol.unicodeScalars.first && peek(1) == symbol.unicodeScalars.dropFirst().first {
            position += 2
            return .symbol(symbol)
        }
        if "+-*/%!<>?:.,()[]{}".unicodeScalars.contains(first) {
            position += 1
            return .symbol(String(first))
        }
        throw CELError("Syntax error: token recognition error at: '\(first)'")
    }

    private mutating func number() throws(CELError) -> CELToken {
        var text = ""
        if peek() == "0", peek(1) == "x" || peek(1) == "X" {
            position += 2
            while let s = peek(), s.properties.isASCIIHexDigit {
                text.unicodeScalars.append(s)
                position += 1
            }
            if peek() == "u" || peek() == "U" {
                position += 1
                guard let value = UInt64(text, radix: 16) else { throw CELError("invalid uint literal") }
                return .uint(value)
            }
            guard let value = Int64(text, radix: 16) else { throw CELError("invalid int literal") }
            return .int(value)
        }
        var isDouble = false
        while let s = peek(), Self.isDigit(s) { text.unicodeScalars.append(s); position += 1 }
        if peek() == ".", Self.isDigit(peek(1)) {
            isDouble = true
            text += "."
            position += 1
            while let s = peek(), Self.isDigit(s) { text.unicodeScalars.append(s); position += 1 }
        }
        if let e = peek(), e == "e" || e == "E" {
            isDouble = true
            text += "e"
            position += 1
            if let sign = peek(), sign == "+" || sign == "-" { text.unicodeScalars.append(sign); position += 1 }
            while let s = peek(), Self.isDigit(s) { text.unicodeScalars.append(s); position += 1 }
        }
        if isDouble {
            guard let value = Double(text) else { throw CELError("invalid double literal \(text)") }
            return .double(value)
        }
        if peek() == "u" || peek() == "U" {
            position += 1
            guard let value = UInt64(text) else { throw CELError("invalid uint literal \(text)") }
            return .uint(value)
        }
        guard let value = Int64(text) else { throw CELError("invalid int literal \(text)") }
        return .int(value)
    }

    private mutating func string(raw: Bool) throws(CELError) -> String {
        let quote = peek()!
        let triple = peek(1) == quote && peek(2) == quote
        position += triple ? 3 : 1
        var text = ""
        while true {
            guard let s = peek() else { throw CELError("Syntax error: unterminated string literal") }
            if s == quote && (!triple || (peek(1) == quote && peek(2) == quote)) {
                position += triple ? 3 : 1
                return text
            }
            if !triple && s == "\n" { throw CELError("Syntax error: newline in string literal") }
            if s == "\\" && !raw {
                position += 1
                guard let escaped = peek() else { throw CELError("Syntax error: unterminated escape") }
                position += 1
                switch escaped {
                case "n": text += "\n"
                case "t": text += "\t"
                case "r": text += "\r"
                case "\\", "'", "\"", "`", "?": text.unicodeScalars.append(escaped)
                case "a": text += "\u{07}"
                case "b": text += "\u{08}"
                case "f": text += "\u{0C}"
                case "v": text += "\u{0B}"
                case "u", "U", "x":
                    let count = escaped == "u" ? 4 : escaped == "U" ? 8 : 2
                    var hex = ""
                    for _ in 0..<count {
                        guard let digit = peek() else { throw CELError("Syntax error: bad escape") }
                        hex.unicodeScalars.append(digit)
                        position += 1
                    }
                    guard let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else {
                        throw CELError("Syntax error: bad escape \\\(escaped)\(hex)")
                    }
                    text.unicodeScalars.append(scalar)
                default:
                    throw CELError("Syntax error: invalid escape \\\(escaped)")
                }
                continue
            }
            text.unicodeScalars.append(s)
            position += 1
        }
    }
}
