import Foundation
import SluiceTestSupport
import Testing

extension AgentProcessSuites {
    /// CI's two minutes of Benchmarks/soak/run.py (the hour-long soak, scaled down): a real
    /// `sluice run` serving steady traffic while a route changes every 10 s and a canary rolls
    /// out every 40 s.
    @Suite struct SoakTests {
        struct Result: Decodable {
            var seconds: Double
            var requests: Int
            var failures: Int
            var failure_samples: [String]
            var route_changes: Int
            var canary_changes: Int
            var revision_committed: Int
            var revision_seen_by_upstreams: Int
            var canary_phases_before_each_change: [String]
            var rss_start_kib: Int
            var rss_warm_kib: Int
            var rss_end_kib: Int
            var rss_max_kib: Int
            var agent_alive: Bool
        }

        @Test("two minutes of traffic across route changes and canary rollouts: no failed request, memory flat")
        func twoMinuteSoak() async throws {
            let script = AgentProcess.package.appendingPathComponent("Benchmarks/soak/run.py").path
            let outcome = try await Shell.outcomeOnThread([
                "python3", script, "--binary", AgentProcess.binary, "--duration", "120", "--route-every", "10",
                "--canary-every", "40", "--canary-step", "4s", "--rate", "50",
            ])
            let line = try #require(
                outcome.output.split(separator: "\n").last { $0.hasPrefix("SOAK-RESULT ") },
                "no result:\n\(outcome.output)\n\(outcome.errorOutput)")
            let result = try JSONDecoder().decode(Result.self, from: Data(line.dropFirst("SOAK-RESULT ".count).utf8))
            print(outcome.output.split(separator: "\n").filter { !$0.hasPrefix("SOAK-RESULT") }.joined(separator: "\n"))
            #expect(result.agent_alive)
            #expect(result.failures == 0, "failed requests:\n\(result.failure_samples.joined(separator: "\n"))")
            #expect(result.requests > 3000, "\(result.requests) requests")
            #expect(result.route_changes >= 8 && result.canary_changes >= 2)
            #expect(result.revision_seen_by_upstreams == result.revision_committed, "the last route change never reached the upstreams")
            // Flat: after warm-up the agent grows by less than 32 MiB (a debug build, 2 minutes).
            #expect(result.rss_end_kib - result.rss_warm_kib < 32 * 1024, "RSS \(result.rss_warm_kib) KiB → \(result.rss_end_kib) KiB")
            #expect(outcome.status == 0)
        }
    }
}
