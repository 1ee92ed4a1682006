import SluiceCanary
import SluiceTestSupport
import Testing

@Suite("Go durations")
struct GoDurationTests {
    @Test("parses what time.ParseDuration reads", arguments: [
        ("30s", Duration.seconds(30)), ("500ms", .milliseconds(500)), ("1m30s", .seconds(90)),
        ("1.5h", .seconds(5400)), ("0", .zero), ("2h0m1s", .seconds(7201)), ("250us", .microseconds(250)),
    ])
    func parses(text: String, expected: Duration) throws {
        #expect(try GoDuration.parse(text) == expected)
    }

    @Test("refuses what time.ParseDuration refuses, and negatives", arguments: ["", "30", "s", "1x", "-5s", "1m30", "."])
    func refuses(text: String) {
        #expect(throws: GoDuration.ParseError.self) { try GoDuration.parse(text) }
    }

    @Test("formats as Go prints", arguments: [
        (Duration.seconds(90), "1m30s"), (.milliseconds(500), "500ms"), (.zero, "0s"), (.seconds(3600), "1h"),
        (.milliseconds(1500), "1.5s"), (.seconds(3661), "1h1m1s"),
    ])
    func formats(duration: Duration, expected: String) {
        #expect(GoDuration.format(duration) == expected)
    }
}
