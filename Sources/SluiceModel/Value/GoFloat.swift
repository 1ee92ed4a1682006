/// Formats doubles exactly as Go's strconv does, because kubectl, kustomize and the API server
/// are Go programs and Sluice's output is compared with theirs byte for byte.
public enum GoFloat {
    /// value = 0.d₁d₂…dₙ × 10^point, with the shortest digits that read back as the same double.
    struct Decimal {
        var negative: Bool
        var digits: [Character]
        var point: Int
    }

    static func decompose(_ number: Double) -> Decimal {
        // Swift's description is already the shortest round-trip form; only its layout differs.
        let text = "\(abs(number))"
        let parts = text.split(separator: "e", maxSplits: 1)
        let exponent = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = Array(mantissa[0])
        let fraction = mantissa.count == 2 ? Array(mantissa[1]) : []
        var digits = whole + fraction
        var point = whole.count + exponent
        while digits.first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        if digits.isEmpty { return Decimal(negative: number.sign == .minus, digits: ["0"], point: 1) }
        return Decimal(negative: number.sign == .minus, digits: digits, point: point)
    }

    /// strconv.FormatFloat(f, 'g', -1, 64), what Go YAML encoders write: an exponent when it is
    /// below -4 or at least 6 (Go fixes the precision at 6 for this choice in the shortest form).
    public static func format(_ number: Double) -> String {
        let decimal = decompose(number)
        let exponent = decimal.point - 1
        let body = exponent < -4 || exponent >= 6 ? scientific(decimal) : fixed(decimal)
        return (decimal.negative ? "-" : "") + body
    }

    /// encoding/json's float64: fixed notation, except below 1e-6 or from 1e21 up, where it uses
    /// an exponent without zero padding (`1e-7`, `1e+21`).
    public static func formatJSON(_ number: Double) -> String {
        let decimal = decompose(number)
        let magnitude = abs(number)
        let body: String
        if magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21) {
            var text = scientific(decimal)
            // Go trims "e-07" to "e-7".
            if let e = text.firstIndex(of: "e") {
                let sign = text[text.index(after: e)]
                var exponentDigits = String(text[text.index(e, offsetBy: 2)...])
                while exponentDigits.count > 1 && exponentDigits.hasPrefix("0") { exponentDigits.removeFirst() }
                text = String(text[..<e]) + "e" + String(sign) + exponentDigits
            }
            body = text
        } else {
            body = fixed(decimal)
        }
        return (decimal.negative ? "-" : "") + body
    }

    private static func scientific(_ decimal: Decimal) -> String {
        var text = String(decimal.digits[0])
        if decimal.digits.count > 1 { text += "." + String(decimal.digits[1...]) }
        let exponent = decimal.point - 1
        let magnitude = abs(exponent)
        return text + "e" + (exponent < 0 ? "-" : "+") + (magnitude < 10 ? "0" : "") + String(magnitude)
    }

    private static func fixed(_ decimal: Decimal) -> String {
        let digits = decimal.digits
        if decimal.point <= 0 {
            return "0." + String(repeating: "0", count: -decimal.point) + String(digits)
        }
        if decimal.point >= digits.count {
            return String(digits) + String(repeating: "0", count: decimal.point - digits.count)
        }
        return String(digits[..<decimal.point]) + "." + String(digits[decimal.point...])
    }
}
