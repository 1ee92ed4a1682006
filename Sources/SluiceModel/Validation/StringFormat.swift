import Foundation

/// The string formats the API server checks in CRD schemas (kube-openapi's default registry),
/// for those Sluice's users meet. Formats it does not check (`int32`, `int64`, `password`...)
/// are not checked here either.
enum StringFormat {
    /// Whether `text` is valid for `format`; nil when the format is not checked.
    static func check(_ format: String, _ text: String) -> Bool? {
        switch format {
        case "ipv4": isIPv4(text)
        case "ipv6": isIPv6(text)
        case "cidr": isCIDR(text)
        case "date-time", "datetime": isDateTime(text)
        case "date": SchemaValidator.matches(text, pattern: #"^\d{4}-\d{2}-\d{2}$"#) && isDateTime(text + "T00:00:00Z")
        case "uuid": SchemaValidator.matches(text, pattern: "^(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$")
        case "byte": KubernetesBytes.decode(text) != nil
        case "mac": SchemaValidator.matches(text, pattern: "^(?i)([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$")
        default: nil
        }
    }

    static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return text.contains(":") && inet_pton(AF_INET6, text, &address) == 1
    }

    static func isCIDR(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let bits = Int(parts[1]) else { return false }
        let host = String(parts[0])
        if isIPv4(host) { return (0...32).contains(bits) }
        if isIPv6(host) { return (0...128).contains(bits) }
        return false
    }

    /// RFC 3339 date-time, as Go's time.Parse(time.RFC3339) reads it.
    static func isDateTime(_ text: String) -> Bool {
        let pattern = #"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"#
        guard SchemaValidator.matches(text, pattern: pattern) else { return false }
        let digits = text.unicodeScalars.compactMap { $0.properties.numericType != nil ? Int(String($0)) : nil }
        let month = digits[4] * 10 + digits[5]
        let day = digits[6] * 10 + digits[7]
        let hour = digits[8] * 10 + digits[9]
        let minute = digits[10] * 10 + digits[11]
        let second = digits[12] * 10 + digits[13]
        return (1...12).contains(month) && (1...31).contains(day) && hour < 24 && minute < 60 && second < 61
    }
}
