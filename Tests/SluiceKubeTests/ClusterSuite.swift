import Foundation
@testable import SluiceKube
import SluiceModel
import Testing

/// One suite of `Cluster` behaviour, run against EmbeddedCluster in-process, against it over
/// HTTPS through KubeCluster, and against a real API server when SLUICE_TEST_KUBECONFIG names one.
enum ClusterSuite {
    static let routeKind = ResourceKind(group: "gateway.networking.k8s.io", version: "v1", kind: "HTTPRoute", plural: "httproutes", namespaced: true)

    static func route(_ name: String, namespace: String, weights: (Int64, Int64) = (90, 10), labels: [String: String] = [:]) -> Object {
        var labelObject = JSONValue.object([:])
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) { labelObject = labelObject.setting(key, .string(value)) }
        return Object([
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": labelObject],
            "spec": [
                "hostnames": ["shop.example.com"],
                "rules": [[
                    "backendRefs": [
                        ["name": "blue", "port": 80, "weight": .integer(weights.0)],
                        ["name": "green", "port": 80, "weight": .integer(weights.1)],
                    ],
                ]],
            ],
        ])
    }

    static func namespace(_ name: String) -> Object {
        Object(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]])
    }

    static func weights(_ object: Object) -> [Int64] {
        (object[FieldPath(parsing: "spec.rules[0].backendRefs")]?.arrayValue ?? []).compactMap { $0["weight"]?.integerValue }
    }

    /// Runs every check against `cluster` in a namespace of its own.
    static func run(_ cluster: any Cluster) async throws {
        let namespace = "suite-\(UInt32.random(in: 0...UInt32.max))"
        _ = try await cluster.serverSideApply(Self.namespace(namespace), options: ApplyOptions(fieldManager: "sluice-test"))

        // Apply creates, with schema defaults and managedFields.
        let created = try await cluster.serverSideApply(route("shop", namespace: namespace, labels: ["team": "blue"]), options: ApplyOptions(fieldManager: "sluice"))
        #expect(weights(created) == [90, 10])
        #expect(created[FieldPath(parsing: "spec.rules[0].matches[0].path.type")]?.stringValue == "PathPrefix")
        #expect(created.metadata["managedFields"]?.arrayValue?.first?["manager"]?.stringValue == "sluice")
        let version = created.metadata["resourceVersion"]?.stringValue

        // The same apply again writes nothing.
        let again = try await cluster.serverSideApply(route("shop", namespace: namespace, labels: ["team": "blue"]), options: ApplyOptions(fieldManager: "sluice"))
        #expect(again.metadata["resourceVersion"]?.stringValue == version)

        // Another manager changing the atomic rules list conflicts, and takes it with force.
        await #expect {
            _ = try await cluster.serverSideApply(route("shop", namespace: namespace, weights: (50, 50)), options: ApplyOptions(fieldManager: "canary"))
        } throws: { error in
            guard let error = error as? APIError else { return false }
            return error.code == 409 && error.details?.causes.first?.field == ".spec.rules"
                && error.details?.causes.first?.reason == "FieldManagerConflict"
        }
        let dryRun = try await cluster.serverSideApply(route("shop", namespace: namespace, weights: (50, 50)), options: ApplyOptions(fieldManager: "canary", force: true, dryRun: true))
        #expect(weights(dryRun) == [50, 50])
        #expect(weights(try await cluster.get(created.reference)) == [90, 10])
        let forced = try await cluster.serverSideApply(route("shop", namespace: namespace, weights: (50, 50)), options: ApplyOptions(fieldManager: "canary", force: true))
        #expect(weights(forced) == [50, 50])
        #expect(forced.metadata["generation"]?.integerValue == 2)

        // Invalid objects are refused with the server's 422.
        await #expect {
            _ = try await cluster.serverSideApply(route("bad", namespace: namespace, weights: (2_000_000, 1)), options: ApplyOptions(fieldManager: "sluice"))
        } throws: { error in
            (error as? APIError)?.code == 422
                && (error as? APIError)?.details?.causes.first?.field == "spec.rules[0].backendRefs[0].weight"
        }

        // List with a label selector and pagination.
        _ = try await cluster.serverSideApply(route("other", namespace: namespace, labels: ["team": "green"]), options: ApplyOptions(fieldManager: "sluice"))
        let blue = try await cluster.list(routeKind, namespace: namespace, options: ListOptions(labelSelector: "team=blue"))
        #expect(blue.items.map(\.name) == ["shop"])
        let firstPage = try await cluster.list(routeKind, namespace: namespace, options: ListOptions(limit: 1))
        #expect(firstPage.items.count == 1 && !firstPage.continueToken.isEmpty)
        let secondPage = try await cluster.list(routeKind, namespace: namespace, options: ListOptions(limit: 1, continueToken: firstPage.continueToken))
        #expect(secondPage.items.count == 1 && secondPage.items[0].name != firstPage.items[0].name)

        // Watch from the list's version sees a change and a delete.
        let list = try await cluster.list(routeKind, namespace: namespace, options: ListOptions())
        let events = try await cluster.watch(routeKind, namespace: namespace, options: WatchOptions(resourceVersion: list.resourceVersion, allowBookmarks: false, timeoutSeconds: 20))
        let collector = Task { () throws -> [String] in
            var seen: [String] = []
            for try await event in events {
                seen.append("\(event.typeName) \(event.object?.name ?? "")")
                if seen.count == 2 { break }
            }
            return seen
        }
        _ = try await cluster.serverSideApply(route("other", namespace: namespace, weights: (1, 99)), options: ApplyOptions(fieldManager: "sluice"))
        try await cluster.delete(ObjectReference(apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: namespace, name: "other"), options: DeleteOptions())
        #expect(try await collector.value == ["MODIFIED other", "DELETED other"])

        // Status through the status subresource.
        let withStatus = try await cluster.patchStatus(created.reference, status: ["parents": []], fieldManager: "controller")
        #expect(withStatus.content["status"] != nil)

        // Delete with a precondition that does not hold.
        await #expect {
            try await cluster.delete(created.reference, options: DeleteOptions(preconditionUID: "11111111-2222-3333-4444-555555555555"))
        } throws: { ($0 as? APIError)?.code == 409 }
        #expect(try await cluster.delete(created.reference, options: DeleteOptions()) == nil)
        await #expect { _ = try await cluster.get(created.reference) } throws: { ($0 as? APIError)?.code == 404 }

        // Leases for leader election, and Events.
        let lease = Object([
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": ["name": "sluice-leader", "namespace": .string(namespace)],
            "spec": ["holderIdentity": "a", "leaseDurationSeconds": 15],
        ])
        #expect(try await cluster.lease(namespace: namespace, name: "sluice-leader") == nil)
        let createdLease = try await cluster.create(lease, fieldManager: "sluice")
        #expect(createdLease.metadata["resourceVersion"] != nil)
        // A second claim of the same Lease is refused, not merged: that is what makes it exclusive.
        var rival = lease
        rival.content["spec"] = ["holderIdentity": "b", "leaseDurationSeconds": 15]
        await #expect { _ = try await cluster.create(rival, fieldManager: "sluice") } throws: {
            ($0 as? APIError)?.code == 409 && ($0 as? APIError)?.reason == "AlreadyExists"
        }
        #expect(try await cluster.lease(namespace: namespace, name: "sluice-leader")?[FieldPath(parsing: "spec.holderIdentity")]?.stringValue == "a")
        let held = try await cluster.updateLease(lease, fieldManager: "sluice")
        var stale = lease
        stale.content["metadata"] = ["name": "sluice-leader", "namespace": .string(namespace), "resourceVersion": "1"]
        await #expect { _ = try await cluster.updateLease(stale, fieldManager: "sluice") } throws: { ($0 as? APIError)?.code == 409 }
        #expect(held.metadata["resourceVersion"] != nil)
        let event = try await cluster.createEvent(EventRecord(involved: created.reference, reason: "Synced", message: "applied"))
        #expect(event.content["reason"]?.stringValue == "Synced")

        // A list-map key left out takes its schema default: a Service port without `protocol`
        // is the TCP one, so the same manifest applied twice keeps one port and writes nothing.
        let service = Object([
            "apiVersion": "v1", "kind": "Service", "metadata": ["name": "web", "namespace": .string(namespace)],
            "spec": ["ports": [["name": "http", "port": 8080]]],
        ])
        let first = try await cluster.serverSideApply(service, options: ApplyOptions(fieldManager: "sluice", force: true))
        let second = try await cluster.serverSideApply(service, options: ApplyOptions(fieldManager: "sluice", force: true))
        #expect(second[FieldPath(parsing: "spec.ports")]?.arrayValue?.count == 1)
        #expect(second[FieldPath(parsing: "spec.ports[0].protocol")]?.stringValue == "TCP")
        #expect(second.metadata["resourceVersion"] == first.metadata["resourceVersion"])

        try await cluster.delete(Self.namespace(namespace).reference, options: DeleteOptions())
    }
}

@Suite struct ClusterTests {
    @Test func embeddedClusterInProcess() async throws {
        let server = try await TestServer()
        do {
            try await ClusterSuite.run(server.cluster)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test func embeddedClusterThroughKubeCluster() async throws {
        let server = try await TestServer()
        let client = try server.kubeCluster()
        do {
            try await ClusterSuite.run(client)
        } catch {
            try await client.shutdown()
            await server.stop()
            throw error
        }
        try await client.shutdown()
        await server.stop()
    }

    @Test func realServerWhenConfigured() async throws {
        guard let path = ProcessInfo.processInfo.environment["SLUICE_TEST_KUBECONFIG"], !path.isEmpty else {
            print("skipped: SLUICE_TEST_KUBECONFIG is not set; the Cluster suite ran against EmbeddedCluster only")
            return
        }
        let client = try KubeCluster(Kubeconfig.load(path: path))
        do {
            try await ClusterSuite.run(client)
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }
}
