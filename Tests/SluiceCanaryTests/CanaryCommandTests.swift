import Foundation
import SluiceCanary
import SluiceKube
import SluiceModel
import SluiceTestSupport
import Testing

extension CanaryEndToEnd {
    /// Manual control: the annotation written by `kubectl annotate` and by the `sluice` executable,
    /// each carried out by a running controller against the EmbeddedCluster served over HTTPS.
    @Suite("Canary commands: kubectl annotate and sluice canary")
    struct CanaryCommandTests {
        static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        static let sluice = package.appendingPathComponent(".build/debug/sluice").path

        /// A harness whose steps never pass on their own (a minute each), with a rollout under way.
        func progressing() async throws -> (RolloutHarness, Task<Void, any Error>) {
            // Probes that only fail a broken green: commands, not checks, move this rollout.
            let harness = try await RolloutHarness.start(options: .init(interval: "60s", every: "500ms", maxLatency: "10s", failureLimit: 5))
            let controller = harness.makeController()
            await harness.commit("main@sha1:r1", blue: 100, green: 0)
            let running = Task { try await controller.run() }
            await harness.commit("main@sha1:r2", blue: 0, green: 100)
            try await harness.waitForStatus("the rollout to start") { $0.phase == .progressing }
            return (harness, running)
        }

        /// Checks the command was taken: the status moved and the annotation is gone.
        func expectTaken(_ harness: RolloutHarness, _ what: String, sourceLocation: Testing.SourceLocation = #_sourceLocation, _ condition: @escaping (CanaryStatus) -> Bool) async throws {
            try await harness.waitForStatus(what, sourceLocation: sourceLocation, condition)
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: .seconds(10))
            var annotations = try await harness.cluster.get(CanaryControl.reference(namespace: "demo", name: "shop")).annotations
            while annotations[CanaryAction.annotation] != nil, clock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                annotations = try await harness.cluster.get(CanaryControl.reference(namespace: "demo", name: "shop")).annotations
            }
            #expect(annotations[CanaryAction.annotation] == nil, "the annotation was removed: \(annotations)", sourceLocation: sourceLocation)
        }

        @Test("kubectl annotate: pause, resume, promote, then abort a new rollout")
        func kubectlAnnotations() async throws {
            let (harness, running) = try await progressing()
            func annotate(_ action: String) async throws {
                let outcome = try await RolloutHarness.run([
                    "kubectl", "--kubeconfig", harness.kubeconfig, "-n", "demo", "annotate", "--overwrite",
                    "canaries.sluice.dev/shop", "\(CanaryAction.annotation)=\(action)",
                ])
                #expect(outcome.status == 0, "kubectl annotate: \(outcome.errorOutput)")
            }

            try await annotate("pause")
            try await expectTaken(harness, "pause") { $0.phase == .paused }
            try await annotate("resume")
            try await expectTaken(harness, "resume") { $0.phase == .progressing }
            try await annotate("promote")
            try await expectTaken(harness, "promote") { $0.phase == .promoted }
            try await harness.waitForServing([0, 100])

            // Git moves back to blue; the new rollout is aborted by hand: back to the promoted green.
            await harness.commit("main@sha1:r3", blue: 100, green: 0)
            try await harness.waitForStatus("the second rollout") { $0.phase == .progressing && $0.revision == "main@sha1:r3" }
            try await annotate("abort")
            let status = try await harness.waitForStatus("abort") { $0.phase == .rolledBack }
            try await harness.waitForServing([0, 100])
            #expect(status.history?.map(\.event) == [
                "WeightsApplied", "RolloutStarted", "Paused", "Resumed", "Promoted", "RolloutStarted", "RolloutAborted",
            ])
            #expect(status.history?.last?.weights == [0, 100])
            // The aborted revision is not retried by the next poll.
            await harness.sync()
            #expect(try await harness.liveWeights() == [0, 100])
            #expect(try await harness.canary().status?.phase == .rolledBack)

            // An unknown command is refused with an Event, and removed.
            try await annotate("faster")
            #expect(try await CanaryControl(cluster: harness.cluster).waitUntilConsumed(namespace: "demo", name: "shop", timeout: .seconds(10)))
            let events = try await harness.events()
            #expect(events.contains { $0.reason == "UnknownAction" && $0.message.contains("\"faster\" is not one of pause, resume, promote, abort") })
            running.cancel()
            _ = await running.result
            await harness.stop()
        }

        @Test("sluice canary pause|resume|promote|abort|status, the executable against the cluster")
        func cli() async throws {
            let (harness, running) = try await progressing()
            func sluice(_ arguments: String...) async throws -> Shell.Outcome {
                try await RolloutHarness.run([Self.sluice, "canary"] + arguments + ["--kubeconfig", harness.kubeconfig])
            }

            let paused = try await sluice("pause", "shop", "-n", "demo")
            #expect(paused.status == 0, "\(paused.errorOutput)")
            #expect(paused.output.contains("Canary demo/shop: pause taken"))
            #expect(paused.output.contains("phase: Paused  step: 1 of 3 (10%)"), "\(paused.output)")
            #expect(paused.output.contains("weights: shop-blue 90 / shop-green 10"))
            #expect(try await harness.canary().status?.phase == .paused)

            let status = try await sluice("status", "shop", "-n", "demo")
            #expect(status.status == 0)
            #expect(status.output.contains("Canary demo/shop  (route HTTPRoute demo/shop)"))
            #expect(status.output.contains("RolloutStarted  step 1  90/10"), "\(status.output)")
            let json = try await sluice("status", "shop", "-n", "demo", "-o", "json")
            let decoded = try JSONSerialization.jsonObject(with: json.data) as? [String: Any]
            #expect((decoded?["status"] as? [String: Any])?["phase"] as? String == "Paused")
            let yaml = try await sluice("status", "shop", "-n", "demo", "-o", "yaml")
            #expect(yaml.output.contains("phase: Paused"))

            let resumed = try await sluice("resume", "shop", "-n", "demo")
            #expect(resumed.status == 0, "\(resumed.errorOutput)")
            #expect(try await harness.canary().status?.phase == .progressing)
            let promoted = try await sluice("promote", "shop", "-n", "demo")
            #expect(promoted.status == 0, "\(promoted.errorOutput)")
            #expect(try await harness.canary().status?.phase == .promoted)
            try await harness.waitForServing([0, 100])

            await harness.commit("main@sha1:r3", blue: 100, green: 0)
            try await harness.waitForStatus("the second rollout") { $0.phase == .progressing && $0.revision == "main@sha1:r3" }
            let aborted = try await sluice("abort", "shop", "-n", "demo")
            #expect(aborted.status == 0, "\(aborted.errorOutput)")
            #expect(try await harness.canary().status?.phase == .rolledBack)
            try await harness.waitForServing([0, 100])

            // Nothing to pause now: the command is taken and says so in an Event.
            let again = try await sluice("pause", "shop", "-n", "demo")
            #expect(again.status == 0)
            #expect(try await harness.events().contains { $0.reason == "ActionIgnored" })

            let missing = try await sluice("pause", "cart", "-n", "demo")
            #expect(missing.status == 1)
            #expect(missing.errorOutput.contains("Canary demo/cart not found"))
            running.cancel()
            _ = await running.result
            await harness.stop()
        }
    }
}
