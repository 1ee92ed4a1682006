import Foundation

/// Times as Kubernetes writes them: `metav1.Time` (RFC 3339 in UTC, to the second) and
/// `metav1.MicroTime` (six fractional digits), for conditions, Events, Leases and managedFields.
public enum KubernetesTime {
    /// `2026-11-29T03:00:00Z`: the second `date` falls in.
    public static func time(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
            parts.tm_min, parts.tm_sec)
    }

    /// `2026-11-29T03:00:00.123456Z`: `date` to the microsecond, rounded down.
    public static func microTime(_ date: Date) -> String {
        let microseconds = Int((date.timeIntervalSince1970 * 1_000_000).rounded(.down)) % 1_000_000
        return String(time(date).dropLast()) + String(format: ".%06dZ", microseconds)
    }
}
