import Foundation
import SluiceCanary
import SluiceKube
import SluiceModel
import SluiceTestSupport
import Testing

extension CanaryEndToEnd {
    /// The controller end to end: real upstreams behind a real ProxyServer, an EmbeddedCluster, the
    /// routes applied by SyncEngine through the controller's overlay, probes over real sockets.
    @Suite("Canary controller, end to end")
    struct CanaryControllerTests {
        /// Checks that `counts` split as `weights` says: within 3 standard deviations of the binomial
        /// mean for a share strictly between 0 and 1, exactly for 0 and 1.
        func expectSplit(_ counts: [String: Int], weights: [Int], minimum: Int = 50, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
            let green = counts["shop-green"] ?? 0
            let total = counts.values.reduce(0, +)
            let needed = weights.contains(0) ? 20 : minimum
            #expect(total >= needed, "only \(total) requests at \(weights)", sourceLocation: sourceLocation)
            #expect(counts.keys.allSatisfy { $0 == "shop-green" || $0 == "shop-blue" }, "unexpected answers \(counts)", sourceLocation: sourceLocation)
            let share = Double(weights[1]) / Double(weights[0] + weights[1])
            if share == 0 || share == 1 {
                // Exact: a single request to the wrong backend fails it, so fewer requests suffice.
                #expect(green == (share == 1 ? total : 0), "\(counts) at \(weights)", sourceLocation: sourceLocation)
                return
            }
            let mean = Double(total) * share
            let sigma = (Double(total) * share * (1 - share)).squareRoot()
            #expect(abs(Double(green) - mean) <= 3 * sigma, "green \(green) of \(total), expected \(mean) ± \(3 * sigma) at \(weights)", sourceLocation: sourceLocation)
        }

        // The two cases one after the other: each drives traffic flat out, and together they
        // would load a 2-core machine for the suite's timing-sensitive tests.
        @Test(
            "a healthy green goes 10 → 50 → 100, and the traffic follows each step's weights",
            .serialized, arguments: [false, true])
        func healthyPromotion(viaListenerSet: Bool) async throws {
            // A step passes on evidence, not only time: 30 samples, mostly green's share of the
            // traffic (probes every 250 ms add few), so each step carries enough requests to measure
            // the split however busy the machine is. Through a ListenerSet, the probes go to the
            // set's listener, at its Gateway's socket.
            let harness = try await RolloutHarness.start(
                options: .init(interval: "1500ms", every: "250ms", maxLatency: "5s", minRequests: 30, viaListenerSet: viaListenerSet))
            let controller = harness.makeController()
            await harness.commit("main@sha1:r1", blue: 100, green: 0)
            let running = Task { try await controller.run() }
            let traffic = await Traffic.start(harness)
            try await Task.sleep(for: .milliseconds(300))

            await harness.commit("main@sha1:r2", blue: 0, green: 100)
            let status = try await harness.waitForStatus("promotion", timeout: .seconds(120)) { $0.phase == .promoted }
            try await Task.sleep(for: .milliseconds(500))
            await traffic.stop()
            running.cancel()
            _ = await running.result

            #expect(status.history?.map(\.event) == ["WeightsApplied", "RolloutStarted", "StepAdvanced", "StepAdvanced", "Promoted"])
            #expect(status.history?.map(\.weights) == [[100, 0], [90, 10], [50, 50], [0, 100], [0, 100]])
            #expect(status.history?.map(\.step) == [nil, 0, 1, 2, nil])
            #expect(status.weights?.map(\.weight) == [0, 100])
            #expect(status.step == nil)
            #expect(try await harness.liveWeights() == [0, 100], "the promoted route is Git's")
            for weights in [[90, 10], [50, 50], [0, 100]] {
                expectSplit(traffic.counts(at: weights), weights: weights)
            }
            let reasons = try await harness.events().map(\.reason)
            #expect(reasons == ["WeightsApplied", "RolloutStarted", "StepAdvanced", "StepAdvanced", "Promoted"])
            let metrics = harness.metricsText
            #expect(metrics.contains(#"sluice_canary_weight{canary="demo/shop",backend="shop-green"} 100"#), "\(metrics)")
            #expect(metrics.contains(#"sluice_canary_weight{canary="demo/shop",backend="shop-blue"} 0"#))
            #expect(metrics.contains(#"sluice_canary_phase{canary="demo/shop"} 3"#))
            #expect(metrics.contains(#"sluice_canary_step_duration_seconds_count{canary="demo/shop"} 3"#))
            #expect(harness.state.withLock { $0.syncErrors } == [])
            await harness.stop()
        }

        func rollback(green behaviour: Upstream.Behaviour, maxLatency: String, evidence: String) async throws {
            let hook = try await Upstream.start(name: "alerts")
            let harness = try await RolloutHarness.start(
                green: behaviour, options: .init(interval: "2s", maxLatency: maxLatency, webhook: "http://127.0.0.1:\(hook.port)/canary"))
            let controller = harness.makeController()
            await harness.commit("main@sha1:r1", blue: 100, green: 0)
            let running = Task { try await controller.run() }
            let traffic = await Traffic.start(harness)

            await harness.commit("main@sha1:r2", blue: 0, green: 100)
            let status = try await harness.waitForStatus("rollback", timeout: .seconds(60)) { $0.phase == .rolledBack }
            #expect(status.history?.map(\.event) == ["WeightsApplied", "RolloutStarted", "CheckFailed", "RolloutFailed"],
                    "failureLimit 2: one failed check, then the rollback")
            #expect(status.weights?.map(\.weight) == [100, 0])
            try await harness.waitForServing([100, 0])
            #expect(try await harness.liveWeights() == [100, 0], "back to the last promoted weights")
            #expect(status.conditions?.first { $0.type == "Ready" }?.status == "False")

            let failed = try #require(try await harness.events().first { $0.reason == "RolloutFailed" })
            #expect(failed.type == "Warning")
            #expect(failed.message.contains("rolled back to shop-blue 100 / shop-green 0 at step 1: success rate"))
            #expect(failed.message.contains("failed samples: "))
            #expect(failed.message.contains(evidence), "\(failed.message)")
            #expect(harness.metricsText.contains(#"sluice_canary_rollbacks_total{canary="demo/shop",reason="RolloutFailed"} 1"#))
            #expect(harness.metricsText.contains(#"sluice_canary_phase{canary="demo/shop"} 4"#))
            // The webhook, as for drift: one POST for the one rollback.
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: .seconds(10))
            while hook.bodies.isEmpty, clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(hook.bodies.count == 1)
            let alert = try JSONSerialization.jsonObject(with: Data((hook.bodies.first ?? "{}").utf8)) as? [String: Any]
            #expect(alert?["status"] as? String == "firing")
            #expect(alert?["reason"] as? String == "RolloutFailed")
            #expect(alert?["canary"] as? String == "demo/shop")
            #expect(alert?["revision"] as? String == "main@sha1:r2")
            #expect((alert?["message"] as? String)?.contains(evidence) == true)

            // The same revision again (the next poll) is not retried: no new step, blue keeps it all.
            let greenBefore = harness.green.requests
            await harness.sync()
            try await Task.sleep(for: .seconds(1))
            await harness.sync()
            let after = try await harness.canary().status
            #expect(after?.history == status.history)
            #expect(try await harness.liveWeights() == [100, 0])
            await traffic.stop()
            running.cancel()
            _ = await running.result
            #expect(harness.green.requests == greenBefore, "no traffic to green after the rollback")
            expectSplit(traffic.counts(at: [100, 0]), weights: [100, 0])
            #expect(hook.bodies.count == 1, "not sent again for the same revision")
            await harness.stop()
            await hook.stop()
        }

        @Test("a green answering 500 is rolled back to the stable weights within failureLimit checks")
        func rollbackOnErrors() async throws {
            // A generous latency limit: only the errors fail this green, however busy the machine.
            try await rollback(green: .init(status: 500), maxLatency: "10s", evidence: "answered 5xx")
        }

        @Test("a green slower than maxLatency is rolled back the same way")
        func rollbackOnLatency() async throws {
            try await rollback(green: .init(delay: .milliseconds(300)), maxLatency: "100ms", evidence: "100ms")
        }

        @Test("a controller restarted during step 2 resumes at step 2: no step skipped or repeated")
        func restartResumes() async throws {
            let harness = try await RolloutHarness.start(options: .init(interval: "1500ms", maxLatency: "5s"))
            let first = harness.makeController()
            await harness.commit("main@sha1:r1", blue: 100, green: 0)
            let firstRun = Task { try await first.run() }
            let traffic = await Traffic.start(harness)
            await harness.commit("main@sha1:r2", blue: 0, green: 100)
            try await harness.waitForStatus("step 2", timeout: .seconds(60)) { $0.step == 1 }
            // The agent dies: its task ends without any cleanup; the next one starts from the cluster.
            firstRun.cancel()
            _ = await firstRun.result

            let second = harness.makeController()
            await harness.sync()
            let resumed = try await harness.canary().status
            #expect(resumed?.step == 1)
            #expect(try await harness.liveWeights() == [50, 50], "the new agent applies step 2's weights, not step 1's")
            let secondRun = Task { try await second.run() }
            let status = try await harness.waitForStatus("promotion", timeout: .seconds(60)) { $0.phase == .promoted }
            try await harness.waitForServing([0, 100])
            await traffic.stop()
            secondRun.cancel()
            _ = await secondRun.result

            #expect(status.history?.map(\.event) == ["WeightsApplied", "RolloutStarted", "StepAdvanced", "StepAdvanced", "Promoted"])
            #expect(status.history?.map(\.step) == [nil, 0, 1, 2, nil])
            #expect(try await harness.liveWeights() == [0, 100])
            await harness.stop()
        }
    }
}

/// Every end-to-end canary test, one at a time: each measures traffic and waits on real time,
/// and a machine of two cores runs them beside the rest of the package's tests.
@Suite("Canary end to end", .serialized)
struct CanaryEndToEnd {}
