import Foundation
import SluiceKube
import SluiceModel
import SluiceSync
import SluiceTestSupport
import Testing

/// The drift detector against EmbeddedCluster: changes by other managers, status writes,
/// deletions, both modes, ignore rules, metrics, the webhook and the persisted record.
///
/// To know a change was *not* reported (rather than not reported yet), a test follows it with a
/// real drift of route `cart` and waits for that: one watch per kind handles its events in order.
@Suite("Drift detection", .serialized)
struct DriftDetectorTests {
    @Test("another manager changing a weight is drift: a Warning Event names the field, old → new, and who")
    func weightChangeDetected() async throws {
        let harness = try await DriftHarness(mode: .alert)
        try await harness.edit("shop", weights: (90, 50))
        let events = try await harness.waitForEvents(DriftDetector.Reason.detected, about: "shop")
        #expect(events.count == 1)
        #expect(events[0].content["type"]?.stringValue == "Warning")
        #expect(events[0].content["involvedObject"]?["kind"]?.stringValue == "HTTPRoute")
        #expect(events[0].content["involvedObject"]?["uid"]?.stringValue != nil)
        #expect(events[0].content["message"]?.stringValue == "HTTPRoute demo/shop drifted (changed by kubectl-edit): spec.rules[0].backendRefs[1].weight: 10 → 50")
        let drift = await harness.detector.currentDrift()
        #expect(drift.map(\.object) == [DriftHarness.shop])
        await harness.stop()
    }

    @Test("a status write by a controller is never drift")
    func statusNotDetected() async throws {
        let harness = try await DriftHarness(mode: .alert)
        _ = try await harness.cluster.patchStatus(DriftHarness.shop, status: ["parents": []], fieldManager: "gateway-controller")
        try await harness.edit("cart", weights: (1, 2))
        try await harness.waitForEvents(DriftDetector.Reason.detected, about: "cart")
        #expect(try await harness.events(DriftDetector.Reason.detected, about: "shop").isEmpty)
        #expect(await harness.detector.currentDrift().map(\.object) == [DriftHarness.cart])
        await harness.stop()
    }

    @Test("a deleted object is drift; correct mode recreates it")
    func deletion() async throws {
        let alert = try await DriftHarness(mode: .alert)
        try await alert.cluster.delete(DriftHarness.shop, options: DeleteOptions())
        let events = try await alert.waitForEvents(DriftDetector.Reason.detected, about: "shop")
        #expect(events[0].content["message"]?.stringValue == "HTTPRoute demo/shop was deleted")
        await #expect(throws: APIError.self) { _ = try await alert.cluster.get(DriftHarness.shop) }
        await alert.stop()

        let correct = try await DriftHarness(mode: .correct)
        try await correct.cluster.delete(DriftHarness.shop, options: DeleteOptions())
        try await correct.waitForEvents(DriftDetector.Reason.corrected, about: "shop")
        #expect(try await correct.weights(DriftHarness.shop) == [90, 10])
        await correct.stop()
    }

    @Test("correct mode puts the weight back at once and says so")
    func correctMode() async throws {
        let harness = try await DriftHarness(mode: .correct)
        try await harness.edit("shop", weights: (0, 100))
        try await harness.waitForEvents(DriftDetector.Reason.detected, about: "shop")
        let corrected = try await harness.waitForEvents(DriftDetector.Reason.corrected, about: "shop")
        #expect(corrected[0].content["type"]?.stringValue == "Normal")
        #expect(try await harness.weights(DriftHarness.shop) == [90, 10])
        let live = try await harness.cluster.get(DriftHarness.shop)
        let rulesOwner = (live.metadata["managedFields"]?.arrayValue ?? []).first { entry in
            entry["fieldsV1"]?["f:spec"]?["f:rules"] != nil
        }
        #expect(rulesOwner?["manager"]?.stringValue == "sluice", "Sluice owns the rules again")
        try await waitUntil("the gauge back at 0") { harness.metric("sluice_drifted_objects", labels: ["target": "demo"]) == 0 }
        #expect(await harness.detector.currentDrift().isEmpty)
        await harness.stop()
    }

    @Test("alert mode leaves the change, reports each new change, and resolves when it matches again")
    func alertMode() async throws {
        let harness = try await DriftHarness(mode: .alert)
        try await harness.edit("shop", weights: (50, 50))
        try await harness.waitForEvents(DriftDetector.Reason.detected, about: "shop")
        #expect(try await harness.weights(DriftHarness.shop) == [50, 50], "alert mode does not touch the object")
        #expect(harness.metric("sluice_drifted_objects", labels: ["target": "demo"]) == 1)
        try await waitUntil("the drift record written") { try await harness.driftRecord()?.items.isEmpty == false }
        let record = try #require(try await harness.driftRecord())
        #expect(record.items.map(\.report.object) == [DriftHarness.shop])
        #expect(record.items.first?.mode == .alert)

        try await harness.edit("shop", weights: (20, 80))
        let twice = try await harness.waitForEvents(DriftDetector.Reason.detected, about: "shop", count: 2)
        #expect(twice.compactMap { $0.content["message"]?.stringValue }.contains { $0.contains("weight: 90 → 20") })
        #expect(harness.metric("sluice_drifted_objects", labels: ["target": "demo"]) == 1, "still one object drifted")

        try await harness.edit("shop", weights: (90, 10))
        try await harness.waitForEvents(DriftDetector.Reason.resolved, about: "shop")
        #expect(harness.metric("sluice_drifted_objects", labels: ["target": "demo"]) == 0)
        #expect(harness.metric("sluice_drift_detected_total", labels: ["target": "demo", "kind": "HTTPRoute"]) == 2)
        #expect(await harness.detector.currentDrift().isEmpty)
        try await waitUntil("the drift record emptied") { try await harness.driftRecord()?.items.isEmpty == true }
        await harness.stop()
    }

    @Test("an ignore rule hides the fields it names on the objects it matches")
    func ignoreRule() async throws {
        let rule = DriftIgnoreRule(kind: "HTTPRoute", name: "shop", paths: ["/spec/rules/0/backendRefs/1/weight"])
        let harness = try await DriftHarness(mode: .alert, ignore: [rule])
        try await harness.edit("shop", weights: (90, 55))
        try await harness.edit("cart", weights: (90, 55))
        try await harness.waitForEvents(DriftDetector.Reason.detected, about: "cart")
        #expect(try await harness.events(DriftDetector.Reason.detected, about: "shop").isEmpty)
        // A field the rule does not name is still drift.
        try await harness.edit("shop", weights: (80, 55))
        let events = try await harness.waitForEvents(DriftDetector.Reason.detected, about: "shop")
        #expect(events[0].content["message"]?.stringValue == "HTTPRoute demo/shop drifted (changed by kubectl-edit): spec.rules[0].backendRefs[0].weight: 90 → 80")
        await harness.stop()
    }

    @Test("the agent's own sync of a new revision is not drift, before and after it is tracked")
    func ownAppliesAreNotDrift() async throws {
        let harness = try await DriftHarness(mode: .correct)
        let next = SyncEngineTests.revision(namespace: "demo", weights: (50, 50), routes: ["shop", "cart"])
        let result = try await harness.engine.sync(next, revision: "r2", target: harness.target)
        #expect(result.changes.summary == "2 configured, 2 unchanged")
        // The watch sees the sync's writes before `track` hears of the new revision.
        try await Task.sleep(for: .milliseconds(300))
        await harness.detector.track(target: harness.target, objects: next, mode: .correct, ignore: [])
        try await harness.edit("cart", weights: (1, 2))
        try await harness.waitForEvents(DriftDetector.Reason.corrected, about: "cart")
        #expect(try await harness.events(DriftDetector.Reason.detected, about: "shop").isEmpty)
        #expect(try await harness.weights(DriftHarness.shop) == [50, 50], "the new revision stays")
        #expect(try await harness.weights(DriftHarness.cart) == [50, 50], "corrected to the tracked revision")
        await harness.stop()
    }

    @Test("a route pruned by the agent is not reported as deleted")
    func pruneIsNotDrift() async throws {
        let harness = try await DriftHarness(mode: .correct)
        let next = SyncEngineTests.revision(namespace: "demo", routes: ["cart"])
        let result = try await harness.engine.sync(next, revision: "r2", target: harness.target)
        #expect(result.changes.entries.contains { $0.description == "HTTPRoute/demo/shop deleted" })
        try await Task.sleep(for: .milliseconds(500))
        await harness.detector.track(target: harness.target, objects: next, mode: .correct, ignore: [])
        try await harness.edit("cart", weights: (1, 2))
        try await harness.waitForEvents(DriftDetector.Reason.corrected, about: "cart")
        #expect(try await harness.events(DriftDetector.Reason.detected, about: "shop").isEmpty)
        await #expect(throws: APIError.self) { _ = try await harness.cluster.get(DriftHarness.shop) }
        await harness.stop()
    }

    @Test("metrics read back through a Prometheus registry")
    func metrics() async throws {
        let harness = try await DriftHarness(mode: .alert)
        try await harness.edit("shop", weights: (70, 30))
        try await harness.edit("cart", weights: (70, 30))
        try await harness.waitForEvents(DriftDetector.Reason.detected, about: "cart")
        try await harness.waitForEvents(DriftDetector.Reason.detected, about: "shop")
        try await waitUntil("both counted") { harness.metric("sluice_drifted_objects", labels: ["target": "demo"]) == 2 }
        #expect(harness.metric("sluice_drift_detected_total", labels: ["target": "demo", "kind": "HTTPRoute"]) == 2)
        #expect(harness.metricsText().contains("# TYPE sluice_drift_detected_total counter"))
        #expect(harness.metricsText().contains("# TYPE sluice_drifted_objects gauge"))
        await harness.stop()
    }

    @Test("the webhook receives the report as JSON, with the configured headers")
    func webhook() async throws {
        let sink = try await WebhookSink()
        let alerts = DriftAlerts(webhookURL: sink.url, headers: ["Authorization": "Bearer drift-token"])
        let harness = try await DriftHarness(mode: .correct, alerts: alerts)
        try await harness.edit("shop", weights: (90, 40))
        try await waitUntil("two webhook posts (detected, corrected)") { sink.requests.count >= 2 }
        let first = sink.requests[0]
        #expect(first.path == "/hooks/drift")
        #expect(first.headers.contains { $0.0.lowercased() == "authorization" && $0.1 == "Bearer drift-token" })
        #expect(first.headers.contains { $0.0.lowercased() == "content-type" && $0.1 == "application/json" })
        let body = try #require(try YAMLDecoder().documents(first.body, file: "body.json").first?.value)
        #expect(body["status"] == "firing")
        #expect(body["reason"] == "DriftDetected")
        #expect(body["target"] == "demo")
        #expect(body["mode"] == "correct")
        #expect(body["object"]?["name"] == "shop")
        #expect(body["object"]?["namespace"] == "demo")
        #expect(body["changedBy"] == ["kubectl-edit"])
        #expect(body["changes"] == [["path": "spec.rules[0].backendRefs[1].weight", "old": 10, "new": 40]])
        let second = try #require(try YAMLDecoder().documents(sink.requests[1].body, file: "body.json").first?.value)
        #expect(second["reason"] == "DriftCorrected")
        #expect(second["status"] == "resolved")
        await harness.stop()
        await sink.stop()
    }

    @Test("a kubectl patch (merge patch, manager kubectl-patch) through the API server is drift")
    func kubectlPatch() async throws {
        let directory = try TemporaryDirectory("drift-kubectl")
        let harness = try await DriftHarness(mode: .alert, directory: directory)
        let server = APIServer(cluster: harness.cluster, credentials: try ServerCredentials.loadOrCreate(in: directory.url), configuration: .init(host: "127.0.0.1", port: 0))
        let running = try await server.bind(writingKubeconfigInto: directory.url)
        let serving = Task { try await server.serve(running) }
        let patch = #"{"spec":{"rules":[{"backendRefs":[{"name":"blue","port":8080,"weight":90},{"name":"green","port":8080,"weight":25}]}]}}"#
        let patched = try await Shell.outcomeOnThread([
            "kubectl", "--kubeconfig", directory.path("kubeconfig").path, "-n", "demo", "patch", "httproute", "shop", "--type", "merge", "-p", patch,
        ])
        #expect(patched.status == 0, "\(patched.errorOutput)")
        let events = try await harness.waitForEvents(DriftDetector.Reason.detected, about: "shop")
        #expect(events[0].content["message"]?.stringValue == "HTTPRoute demo/shop drifted (changed by kubectl-patch): spec.rules[0].backendRefs[1].weight: 10 → 25")
        serving.cancel()
        await harness.stop()
    }
}
