import Foundation
import SluiceKube
import SluiceModel
import SluiceSync
import Testing

extension SyncEngineTests {
    @Test("a 409 after another manager's write stops the sync with the object and the server's message; the fixed revision applies")
    func staleResourceVersionConflict() async throws {
        let (engine, cluster, directory) = try await engine()
        let target = SyncTarget(name: "conflict")
        let objects = Self.revision(namespace: "conflict")
        _ = try await engine.sync(objects, revision: "r1", target: target)
        let route = objects[2]
        let exported = try #require(try await resourceVersion(cluster, route.reference))
        // Another manager writes the route; the next revision still carries the old version.
        let label = Object(["apiVersion": .string(route.apiVersion), "kind": .string(route.kind), "metadata": ["name": "shop", "namespace": "conflict", "labels": ["owner": "platform"]]])
        _ = try await cluster.serverSideApply(label, options: ApplyOptions(fieldManager: "platform-team"))
        var pinned = Self.revision(namespace: "conflict", weights: (50, 50))
        pinned[2].metadata["resourceVersion"] = .string(exported)
        await #expect {
            _ = try await engine.sync(pinned, revision: "r2", target: target)
        } throws: { error in
            guard case .apply(let object, let underlying) = error as? SyncError else { return false }
            return object == route.reference && underlying.code == 409
                && "\(error)".contains("HTTPRoute conflict/shop: Operation cannot be fulfilled on httproutes.gateway.networking.k8s.io \"shop\": the object has been modified")
        }
        let live = try await cluster.get(route.reference)
        #expect(live[FieldPath(parsing: "spec.rules[0].backendRefs[0].weight")]?.integerValue == 90, "the refused revision changed the route")
        #expect(live.labels["owner"] == "platform")
        let fixed = try await engine.sync(Self.revision(namespace: "conflict", weights: (50, 50)), revision: "r3", target: target)
        #expect(fixed.changes.summary.contains("1 configured"), "\(fixed.changes.summary)")
        _ = directory
    }

    @Test("a field-ownership 409 is shown with every cause, one per line, as kubectl shows it")
    func conflictCausesAreReported() async throws {
        let (engine, cluster, directory) = try await engine()
        let objects = Self.revision(namespace: "owners")
        _ = try await engine.sync(objects, revision: "r1", target: SyncTarget(name: "owners"))
        var rival = Self.revision(namespace: "owners", weights: (0, 100))[2]
        rival.metadata["labels"] = nil
        var caught: APIError?
        do {
            _ = try await cluster.serverSideApply(rival, options: ApplyOptions(fieldManager: "flagger"))
        } catch let error as APIError {
            caught = error
        }
        let error = try #require(caught)
        #expect(error.code == 409 && !(error.details?.causes.isEmpty ?? true))
        let shown = "\(SyncError.apply(object: rival.reference, underlying: error))"
        #expect(shown.hasPrefix("HTTPRoute owners/shop: Apply failed with"), "\(shown)")
        for cause in error.details?.causes ?? [] {
            #expect(shown.contains(cause.message), "\(shown)")
        }
        _ = (engine, directory)
    }
}
