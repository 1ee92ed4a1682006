import Foundation

/// Which strings Go's YAML v2 would read back as something other than a string, and so must
/// be double-quoted: booleans of YAML 1.1 (`yes`, `on`, `n`...), nulls, numbers in any base,
/// sexagesimal floats (`1:30`) and timestamps.
enum GoYAMLResolution {
    static func needsQuotes(_ text: String) -> Bool {
        switch text {
        case "", "~", "null", "Null", "NULL",
            "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE",
            "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE",
            ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
            return true
        default:
            break
        }
        guard let first = text.unicodeScalars.first else { return true }
        switch first {
        case ".":
            return isFloat(text)
        case "+", "-", "0"..."9":
            let plain = text.replacingOccurrences(of: "_", with: "")
            if first != "+" && first != "-" && isTimestamp(text) { return true }
            return isGoInteger(plain) || isFloat(plain) || isBase60Float(text)
                || plain.hasPrefix("0b") || plain.hasPrefix("-0b")
        default:
            return false
        }
    }

    /// strconv.ParseInt(s, 0, 64) or ParseUint(s, 0, 64) would succeed (range aside: a number
    /// too large for 64 bits still matches the float form, so it is quoted either way).
    static func isGoInteger(_ text: String) -> Bool {
        var body = Substring(text)
        if body.hasPrefix("+") || body.hasPrefix("-") { body = body.dropFirst() }
        guard !body.isEmpty else { return false }
        let lower = body.lowercased()
        func all(_ digits: Substring, in allowed: String) -> Bool {
            !digits.isEmpty && digits.allSatisfy { allowed.contains($0) }
        }
        if lower.hasPrefix("0x") { return all(Substring(lower.dropFirst(2)), in: "0123456789abcdef") }
        if lower.hasPrefix("0o") { return all(Substring(lower.dropFirst(2)), in: "01234567") }
        if lower.hasPrefix("0b") { return all(Substring(lower.dropFirst(2)), in: "01") }
        if lower.hasPrefix("0") && lower.count > 1 { return all(Substring(lower.dropFirst()), in: "01234567") }
        return all(Substring(lower), in: "0123456789")
    }

    /// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
    static func isFloat(_ text: String) -> Bool {
        var rest = Substring(text).unicodeScalars[...]
        func digits() -> Int {
            var count = 0
            while let c = rest.first, ("0"..."9").contains(c) {
                rest = rest.dropFirst()
                count += 1
            }
            return count
        }
        if let sign = rest.first, sign == "+" || sign == "-" { rest = rest.dropFirst() }
        if rest.first == "." {
            rest = rest.dropFirst()
            guard digits() > 0 else { return false }
        } else {
            guard digits() > 0 else { return false }
            if rest.first == "." {
                rest = rest.dropFirst()
                _ = digits()
            }
        }
        if let e = rest.first, e == "e" || e == "E" {
            rest = rest.dropFirst()
            if let sign = rest.first, sign == "+" || sign == "-" { rest = rest.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return rest.isEmpty
    }

    /// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
    static func isBase60Float(_ text: String) -> Bool {
        var rest = Substring(text).unicodeScalars[...]
        if let sign = rest.first, sign == "+" || sign == "-" { rest = rest.dropFirst() }
        guard let first = rest.first, ("0"..."9").contains(first) else { return false }
        while let c = rest.first, ("0"..."9").contains(c) || c == "_" { rest = rest.dropFirst() }
        var groups = 0
        while rest.first == ":" {
            rest = rest.dropFirst()
            var count = 0
            var group: [Unicode.Scalar] = []
            while let c = rest.first, ("0"..."9").contains(c), count < 2 {
                group.append(c)
                rest = rest.dropFirst()
                count += 1
            }
            guard count > 0 else { return false }
            if count == 2, group[0] > "5" { return false }
            groups += 1
        }
        guard groups > 0 else { return false }
        if rest.first == "." {
            rest = rest.dropFirst()
            while let c = rest.first, ("0"..."9").contains(c) || c == "_" { rest = rest.dropFirst() }
        }
        return rest.isEmpty
    }

    /// The forms Go's YAML v2 tries as timestamps: a date `2006-1-2`, optionally followed by a
    /// time; the year must be four digits.
    static func isTimestamp(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count >= 8, scalars[4] == "-", scalars[0..<4].allSatisfy({ ("0"..."9").contains($0) }) else {
            return false
        }
        var index = 5
        func number(max: Int) -> Bool {
            var count = 0
            while index < scalars.count, ("0"..."9").contains(scalars[index]), count < max {
                index += 1
                count += 1
            }
            return count > 0
        }
        guard number(max: 2), index < scalars.count, scalars[index] == "-" else { return false }
        index += 1
        guard number(max: 2) else { return false }
        if index == scalars.count { return true }
        guard scalars[index] == "T" || scalars[index] == "t" || scalars[index] == " " else { return false }
        index += 1
        guard number(max: 2), index < scalars.count, scalars[index] == ":" else { return false }
        index += 1
        guard number(max: 2), index < scalars.count, scalars[index] == ":" else { return false }
        index += 1
        guard number(max: 2) else { return false }
        if index < scalars.count, scalars[index] == "." {
            index += 1
            _ = number(max: 9)
        }
        if index == scalars.count { return true }
        let zone = String(String.UnicodeScalarView(scalars[index...]))
        if zone == "Z" { return true }
        let sign = zone.unicodeScalars.first
        guard sign == "+" || sign == "-" else { return false }
        let digits = zone.dropFirst().replacingOccurrences(of: ":", with: "")
        return digits.count == 4 && digits.allSatisfy(\.isNumber) && zone.count == 6 && zone.dropFirst(3).first == ":"
    }
}

/// The key order of Go YAML v2's map sort, which kustomize's output inherits: letters compare
/// by code point, a non-letter sorts before a letter, and runs of digits compare as numbers.
enum NaturalOrder {
    static func less(_ lhs: String, _ rhs: String) -> Bool {
        less(Array(lhs.unicodeScalars), Array(rhs.unicodeScalars))
    }

    static func less(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Bool {
        var i = 0
        while i < a.count && i < b.count {
            if a[i] == b[i] {
                i += 1
                continue
            }
            let aLetter = a[i].properties.isAlphabetic && !isDigit(a[i])
            let bLetter = b[i].properties.isAlphabetic && !isDigit(b[i])
            if aLetter && bLetter { return a[i].value < b[i].value }
            if aLetter || bLetter { return bLetter }
            var aNumber: Int64 = 0
            var bNumber: Int64 = 0
            if a[i] == "0" || b[i] == "0" {
                var j = i - 1
                while j >= 0 && isDigit(a[j]) {
                    if a[j] != "0" {
                        aNumber = 1
                        bNumber = 1
                        break
                    }
                    j -= 1
                }
            }
            var ai = i
            while ai < a.count && isDigit(a[ai]) {
                aNumber = aNumber &* 10 &+ Int64(a[ai].value - 48)
                ai += 1
            }
            var bi = i
            while bi < b.count && isDigit(b[bi]) {
                bNumber = bNumber &* 10 &+ Int64(b[bi].value - 48)
                bi += 1
            }
            if aNumber != bNumber { return aNumber < bNumber }
            if ai != bi { return ai < bi }
            return a[i].value < b[i].value
        }
        return a.count < b.count
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
}
