/// How Go's YAML v2 emitter writes one string: which style it picks and how it folds.
extension Emitter {
    enum ScalarStyle {
        case plain, singleQuoted, doubleQuoted, literal
    }

    /// What libyaml's scalar analysis finds in a string.
    struct Analysis {
        var blockPlainAllowed = true
        var singleQuotedAllowed = true
        var blockAllowed = true
        var multiline = false
    }

    static func analyse(_ text: String) -> Analysis {
        var result = Analysis()
        let scalars = Array(text.unicodeScalars)
        if scalars.isEmpty {
            result.blockPlainAllowed = true
            result.blockAllowed = false
            return result
        }
        var blockIndicators = text.hasPrefix("---") || text.hasPrefix("...")
        var specialCharacters = false
        var lineBreaks = false
        var leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false
        var breakSpace = false, spaceBreak = false
        var previousSpace = false, previousBreak = false
        var precededByWhitespace = true
        for (index, scalar) in scalars.enumerated() {
            let next: Unicode.Scalar? = index + 1 < scalars.count ? scalars[index + 1] : nil
            let followedByWhitespace = next.map(isBlankOrBreak) ?? true
            if index == 0 {
                switch scalar {
                case "#", ",", "[", "]", "{", "}", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`":
                    blockIndicators = true
                case "?", ":":
                    if followedByWhitespace { blockIndicators = true }
                case "-":
                    if followedByWhitespace { blockIndicators = true }
                default: break
                }
            } else {
                switch scalar {
                case ":":
                    if followedByWhitespace { blockIndicators = true }
                case "#":
                    if precededByWhitespace { blockIndicators = true }
                default: break
                }
            }
            if !isPrintable(scalar) || scalar.value == 0xFEFF { specialCharacters = true }
            if isBreak(scalar) { lineBreaks = true }
            if scalar == " " {
                if index == 0 { leadingSpace = true }
                if index == scalars.count - 1 { trailingSpace = true }
                if previousBreak { breakSpace = true }
                previousSpace = true
                previousBreak = false
            } else if isBreak(scalar) {
                if index == 0 { leadingBreak = true }
                if index == scalars.count - 1 { trailingBreak = true }
                if previousSpace { spaceBreak = true }
                previousBreak = true
                previousSpace = false
            } else {
                previousSpace = false
                previousBreak = false
            }
            precededByWhitespace = isBlankOrBreak(scalar)
        }
        result.multiline = lineBreaks
        if leadingSpace || leadingBreak || trailingSpace || trailingBreak { result.blockPlainAllowed = false }
        if trailingSpace { result.blockAllowed = false }
        if breakSpace {
            result.blockPlainAllowed = false
            result.singleQuotedAllowed = false
        }
        if spaceBreak || specialCharacters {
            result.blockPlainAllowed = false
            result.singleQuotedAllowed = false
            result.blockAllowed = false
        }
        if lineBreaks { result.blockPlainAllowed = false }
        if blockIndicators { result.blockPlainAllowed = false }
        return result
    }

    /// The style for a mapping key (a "simple key": never folded, never a block literal).
    static func keyStyle(_ text: String) -> ScalarStyle {
        if GoYAMLResolution.needsQuotes(text) { return .doubleQuoted }
        let analysis = analyse(text)
        if text.isEmpty { return .singleQuoted }
        if analysis.multiline { return .doubleQuoted }
        if analysis.blockPlainAllowed { return .plain }
        return analysis.singleQuotedAllowed ? .singleQuoted : .doubleQuoted
    }

    static func valueStyle(_ text: String) -> ScalarStyle {
        if GoYAMLResolution.needsQuotes(text) { return .doubleQuoted }
        let analysis = analyse(text)
        if text.contains("\n") { return analysis.blockAllowed ? .literal : .doubleQuoted }
        if analysis.blockPlainAllowed { return .plain }
        return analysis.singleQuotedAllowed ? .singleQuoted : .doubleQuoted
    }

    // MARK: - Writing each style

    mutating func scalar(_ text: String, style: ScalarStyle, indent: Int, allowBreaks: Bool) {
        switch style {
        case .plain: writePlain(text, indent: indent, allowBreaks: allowBreaks)
        case .singleQuoted: writeSingleQuoted(text, indent: indent, allowBreaks: allowBreaks)
        case .doubleQuoted: writeDoubleQuoted(text, indent: indent, allowBreaks: allowBreaks)
        case .literal: writeLiteral(text, indent: indent)
        }
    }

    private mutating func put(_ scalar: Unicode.Scalar) {
        output.unicodeScalars.append(scalar)
        column += 1
        whitespace = false
    }

    private mutating func writePlain(_ text: String, indent: Int, allowBreaks: Bool) {
        // Most scalars end before the fold column, or have no space to fold at.
        let count = text.unicodeScalars.count
        if !allowBreaks || column + count <= Self.bestWidth + 1 || !text.utf8.contains(UInt8(ascii: " ")) {
            output += text
            column += count
            whitespace = false
            return
        }
        let scalars = Array(text.unicodeScalars)
        var spaces = false
        for (index, scalar) in scalars.enumerated() {
            if scalar == " " {
                let nextIsSpace = index + 1 < scalars.count && scalars[index + 1] == " "
                if allowBreaks && !spaces && column > Self.bestWidth && !nextIsSpace {
                    writeIndent(indent)
                } else {
                    put(scalar)
                }
                spaces = true
            } else {
                put(scalar)
                spaces = false
            }
        }
    }

    private mutating func writeSingleQuoted(_ text: String, indent: Int, allowBreaks: Bool) {
        put("'")
        let scalars = Array(text.unicodeScalars)
        var spaces = false
        for (index, scalar) in scalars.enumerated() {
            if scalar == " " {
                let nextIsSpace = index + 1 < scalars.count && scalars[index + 1] == " "
                if allowBreaks && !spaces && column > Self.bestWidth && index != 0 && index != scalars.count - 1
                    && !nextIsSpace
                {
                    writeIndent(indent)
                } else {
                    put(scalar)
                }
                spaces = true
            } else {
                if scalar == "'" { put("'") }
                put(scalar)
                spaces = false
            }
        }
        put("'")
    }

    private mutating func writeDoubleQuoted(_ text: String, indent: Int, allowBreaks: Bool) {
        put("\"")
        let scalars = Array(text.unicodeScalars)
        var spaces = false
        for (index, scalar) in scalars.enumerated() {
            if !isPrintable(scalar) || scalar.value == 0xFEFF || isBreak(scalar) || scalar == "\"" || scalar == "\\" {
                put("\\")
                switch scalar.value {
                case 0x00: put("0")
                case 0x07: put("a")
                case 0x08: put("b")
                case 0x09: put("t")
                case 0x0A: put("n")
                case 0x0B: put("v")
                case 0x0C: put("f")
                case 0x0D: put("r")
                case 0x1B: put("e")
                case 0x22: put("\"")
                case 0x5C: put("\\")
                case 0x85: put("N")
                case 0xA0: put("_")
                case 0x2028: put("L")
                case 0x2029: put("P")
                default:
                    let (prefix, width): (Unicode.Scalar, Int) =
                        scalar.value <= 0xFF ? ("x", 2) : scalar.value <= 0xFFFF ? ("u", 4) : ("U", 8)
                    put(prefix)
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    for digit in (String(repeating: "0", count: max(0, width - hex.count)) + hex).unicodeScalars {
                        put(digit)
                    }
                }
                spaces = false
            } else if scalar == " " {
                if allowBreaks && !spaces && column > Self.bestWidth && index != 0 && index != scalars.count - 1 {
                    writeIndent(indent)
                    if index + 1 < scalars.count && scalars[index + 1] == " " { put("\\") }
                } else {
                    put(scalar)
                }
                spaces = true
            } else {
                put(scalar)
                spaces = false
            }
        }
        put("\"")
    }

    private mutating func writeLiteral(_ text: String, indent: Int) {
        put("|")
        let scalars = Array(text.unicodeScalars)
        if let first = scalars.first, first == " " || isBreak(first) {
            put("2")
        }
        if let last = scalars.last {
            if !isBreak(last) {
                put("-")
            } else if scalars.count == 1 || isBreak(scalars[scalars.count - 2]) {
                put("+")
            }
        }
        newline()
        var breaks = true
        for scalar in scalars {
            if isBreak(scalar) {
                output.unicodeScalars.append(scalar)
                column = 0
                breaks = true
            } else {
                if breaks {
                    output += String(repeating: " ", count: indent)
                    column = indent
                    breaks = false
                }
                output.unicodeScalars.append(scalar)
                column += 1
            }
        }
        // The caller's next write starts a new line; a literal always leaves the line ended.
        if column == 0 { whitespace = true }
    }
}

/// libyaml's character classes.
func isBreak(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x0A, 0x0D, 0x85, 0x2028, 0x2029: true
    default: false
    }
}

func isBlankOrBreak(_ scalar: Unicode.Scalar) -> Bool {
    scalar == " " || scalar == "\t" || isBreak(scalar) || scalar.value == 0
}

func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
    let value = scalar.value
    return value == 0x0A || (0x20...0x7E).contains(value) || (0xA0...0xD7FF).contains(value)
        || (0xE000...0xFFFD).contains(value) && value != 0xFEFF
}
