import Foundation
import SluiceCanary
import SluiceModel
import SluiceTestSupport
import Testing

@Suite("The canary's overlay on a rendered revision")
struct CanaryOverlayTests {
    typealias Overlay = CanaryOverlay<TestClock>

    static func revision(blue: Int, green: Int, extra: String = "") -> [Object] {
        try! YAMLDecoder().objects("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: shop, namespace: demo}
            spec:
              hostnames: [shop.example.test\(extra)]
              rules:
              - backendRefs:
                - {name: blue, port: 8080, weight: \(blue)}
                - {name: green, port: 8080, weight: \(green)}
            ---
            apiVersion: sluice.dev/v1alpha1
            kind: Canary
            metadata: {name: shop, namespace: demo}
            spec:
              routeRef: {name: shop}
              steps: [10, 50, 100]
              interval: 30s
            """, file: "revision.yaml")
    }

    func weights(_ objects: [Object]) -> [Int64] {
        (objects[0][FieldPath(parsing: "spec.rules[0].backendRefs")]?.arrayValue ?? []).compactMap { $0["weight"]?.integerValue }
    }

    @Test("the first revision applies Git's weights as they are: nothing serves yet")
    func firstRevision() {
        var machines: [Overlay.Key: Overlay.Machine] = [:]
        let (objects, outcomes) = Overlay().apply(to: Self.revision(blue: 100, green: 0), revision: "r1", live: { _ in nil }, machines: &machines, at: t(0))
        #expect(weights(objects) == [100, 0])
        #expect(outcomes.map(\.action) == [.apply(weights: [100, 0], .appliedAtOnce(revision: "r1"))])
    }

    @Test("a revision moving the weights is applied at the first step's weights, other changes as Git has them")
    func stepOverlay() throws {
        var machines: [Overlay.Key: Overlay.Machine] = [:]
        let live = Self.revision(blue: 100, green: 0)[0]
        let next = Self.revision(blue: 0, green: 100, extra: ", www.shop.example.test")
        let (objects, outcomes) = Overlay().apply(to: next, revision: "r2", live: { $0 == live.reference ? live : nil }, machines: &machines, at: t(0))
        #expect(weights(objects) == [90, 10])
        #expect(objects[0][FieldPath(parsing: "spec.hostnames")]?.arrayValue?.count == 2, "other changes apply at once")
        #expect(outcomes.first?.backends.map(\.weight) == [90, 10])
        #expect(outcomes.first?.action == .apply(weights: [90, 10], .started(revision: "r2", step: 0)))
        #expect(machines[.init(namespace: "demo", name: "shop")]?.phase == .progressing)

        // The next sync of the same revision (a poll) keeps the step's weights: no drift, no restart.
        let servingNow = objects[0]
        let (again, repeated) = Overlay().apply(to: next, revision: "r2", live: { $0 == servingNow.reference ? servingNow : nil }, machines: &machines, at: t(5))
        #expect(weights(again) == [90, 10])
        #expect(repeated.first?.action == RolloutAction.none)
    }

    @Test("after a restart, the rollout resumes from the record in the live Canary's status")
    func restoreFromStatus() throws {
        var machine = Overlay.Machine(configuration: try Overlay.configuration(of: CanarySpec(routeRef: .init(name: "shop"), steps: [10, 50, 100], interval: "30s")))
        _ = machine.revisionArrived("r2", desired: [0, 100], live: [100, 0], at: t(0))
        for _ in 0..<20 { machine.observe(success: true) }
        _ = machine.evaluate(at: t(30))
        var liveCanary = Self.revision(blue: 0, green: 100)[1]
        var status = CanaryStatus()
        status.rollout = machine.record
        liveCanary.content["status"] = try Object(encoding: status).value
        let liveRoute = try RouteRuleSelector().overlay([50, 50], on: Self.revision(blue: 0, green: 100)[0])

        var machines: [Overlay.Key: Overlay.Machine] = [:]
        let (objects, outcomes) = Overlay().apply(
            to: Self.revision(blue: 0, green: 100), revision: "r2",
            live: { reference in reference.kind == "Canary" ? liveCanary : liveRoute }, machines: &machines, at: t(500))
        #expect(weights(objects) == [50, 50], "step 2 of 3 again, not step 1")
        #expect(outcomes.first?.action == RolloutAction.none)
        #expect(machines.values.first?.step == 1)
    }

    @Test("a Canary whose route is missing or spec is wrong says why, and changes nothing")
    func problems() {
        var machines: [Overlay.Key: Overlay.Machine] = [:]
        var objects = Self.revision(blue: 0, green: 100)
        objects[1].content["spec"] = ["routeRef": ["name": "cart"], "steps": [10, 100]]
        let (result, outcomes) = Overlay().apply(to: objects, revision: "r2", live: { _ in nil }, machines: &machines, at: t(0))
        #expect(result == objects)
        #expect(outcomes.map(\.problem) == ["HTTPRoute demo/cart is not in this revision"])

        objects[1].content["spec"] = ["routeRef": ["name": "shop"], "steps": [50, 10]]
        #expect(Overlay().apply(to: objects, revision: "r2", live: { _ in nil }, machines: &machines, at: t(0)).outcomes.map(\.problem)
            == ["spec.steps[1]: 10 must be greater than the step before it (50)"])
    }
}
