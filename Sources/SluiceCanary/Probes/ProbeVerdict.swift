/// One probe answer judged against the probe's expectations: the sample a step counts.
public struct ProbeVerdict: Sendable, Hashable {
    public var success: Bool
    /// Why it failed (`probe health: status 500, expected 200`), or empty on success.
    public var detail: String

    public init(success: Bool, detail: String) {
        self.success = success
        self.detail = detail
    }

    /// A probe that got no answer at all (refused, reset, timed out).
    public static func failed(probe: String, error: String) -> ProbeVerdict {
        ProbeVerdict(success: false, detail: "probe \(probe): \(error)")
    }

    /// Judges an answer. Without `expect.status`, any 2xx passes; `maxLatency` bounds the time
    /// to the complete answer; `bodyContains`, when not empty, must appear in the body.
    public static func judge(
        _ probe: CanarySpec.Probe, status: Int, latency: Duration, body: some Sequence<UInt8>
    ) -> ProbeVerdict {
        var problems: [String] = []
        if let expected = probe.expect?.status, !expected.isEmpty {
            if !expected.contains(status) {
                problems.append("status \(status), expected \(expected.map(String.init).joined(separator: " or "))")
            }
        } else if !(200..<300).contains(status) {
            problems.append("status \(status), expected 2xx")
        }
        if let text = probe.expect?.maxLatency, let limit = try? GoDuration.parse(text), latency > limit {
            problems.append("took \(GoDuration.format(latency)), more than \(text)")
        }
        if let needle = probe.expect?.bodyContains, !needle.isEmpty, !Self.contains(Array(body), Array(needle.utf8)) {
            problems.append("body does not contain \"\(needle)\"")
        }
        return problems.isEmpty
            ? ProbeVerdict(success: true, detail: "")
            : ProbeVerdict(success: false, detail: "probe \(probe.name): " + problems.joined(separator: "; "))
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
