/// Durations written as Go's `time.ParseDuration` reads them (`30s`, `1m30s`, `500ms`, `1.5h`),
/// the form Flux, Flagger and Kubernetes objects use.
public enum GoDuration {
    /// Why a duration could not be read.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var text: String
        public var description: String { "invalid duration \"\(text)\": expected a number and unit, such as 30s, 500ms or 1m30s" }
    }

    private static let units: [(suffix: String, attoseconds: Double)] = [
        ("ns", 1e9), ("us", 1e12), ("µs", 1e12), ("μs", 1e12), ("ms", 1e15), ("s", 1e18), ("m", 60e18), ("h", 3600e18),
    ]

    /// Parses `text`; a bare `0` is zero, as in Go. Negative durations are refused: nothing here waits backwards.
    public static func parse(_ text: String) throws(ParseError) -> Duration {
        if text == "0" { return .zero }
        var rest = Substring(text)
        guard !rest.isEmpty, !rest.hasPrefix("-") else { throw ParseError(text: text) }
        if rest.hasPrefix("+") { rest = rest.dropFirst() }
        var total = Duration.zero
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", let value = Double(number) else { throw ParseError(text: text) }
            rest = rest.dropFirst(number.count)
            // Longest unit first, so that "ms" is not read as "m" followed by garbage.
            guard let unit = units.sorted(by: { $0.suffix.count > $1.suffix.count }).first(where: { rest.hasPrefix($0.suffix) })
            else { throw ParseError(text: text) }
            rest = rest.dropFirst(unit.suffix.count)
            let attoseconds = value * unit.attoseconds
            total += Duration(secondsComponent: Int64(attoseconds / 1e18), attosecondsComponent: Int64(attoseconds.truncatingRemainder(dividingBy: 1e18)))
        }
        return total
    }

    /// The shortest Go spelling of `duration` at millisecond precision (`1m30s`, `500ms`, `0s`).
    public static func format(_ duration: Duration) -> String {
        let milliseconds = Int64(duration.components.seconds) * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 { return "0s" }
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        var seconds = milliseconds / 1000
        let fraction = milliseconds % 1000
        var text = ""
        if seconds >= 3600 {
            text += "\(seconds / 3600)h"
            seconds %= 3600
        }
        if seconds >= 60 || (!text.isEmpty && (seconds > 0 || fraction > 0)) {
            text += "\(seconds / 60)m"
            seconds %= 60
        }
        if fraction > 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 3 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "\(seconds).\(digits)s"
        } else if seconds > 0 || text.isEmpty {
            text += "\(seconds)s"
        }
        return text
    }
}
