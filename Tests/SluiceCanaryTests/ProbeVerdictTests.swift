import SluiceCanary
import SluiceTestSupport
import Testing

@Suite("Judging probe answers")
struct ProbeVerdictTests {
    static let probe = CanarySpec.Probe(
        name: "health", request: .init(path: "/health"),
        expect: .init(status: [200, 204], maxLatency: "500ms", bodyContains: "ok"))

    @Test("an expected answer passes")
    func passes() {
        let verdict = ProbeVerdict.judge(Self.probe, status: 200, latency: .milliseconds(40), body: Array(#"{"status":"ok"}"#.utf8))
        #expect(verdict == ProbeVerdict(success: true, detail: ""))
    }

    @Test("each unmet expectation is named", arguments: [
        (500, 40, "ok", "probe health: status 500, expected 200 or 204"),
        (200, 900, "ok", "probe health: took 900ms, more than 500ms"),
        (200, 40, "degraded", #"probe health: body does not contain "ok""#),
        (503, 1500, "", #"probe health: status 503, expected 200 or 204; took 1.5s, more than 500ms; body does not contain "ok""#),
    ])
    func fails(status: Int, milliseconds: Int, body: String, detail: String) {
        let verdict = ProbeVerdict.judge(Self.probe, status: status, latency: .milliseconds(milliseconds), body: Array(body.utf8))
        #expect(verdict == ProbeVerdict(success: false, detail: detail))
    }

    @Test("without expectations any 2xx passes")
    func defaults() {
        let bare = CanarySpec.Probe(name: "root", request: .init())
        #expect(ProbeVerdict.judge(bare, status: 204, latency: .seconds(3), body: []).success)
        #expect(ProbeVerdict.judge(bare, status: 302, latency: .zero, body: []).detail == "probe root: status 302, expected 2xx")
    }
}
