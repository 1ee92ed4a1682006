import Foundation
import SluiceModel
import SluiceTestSupport
import Testing

@testable import SluiceKube

/// The embedded cluster's garbage collector finishes what a real cluster's controller manager
/// finishes: foreground and orphan deletions, and the dependents of deleted owners.
@Suite struct GarbageCollectorTests {
    static func configMap(_ name: String, owner: Object? = nil, blocking: Bool = true) -> Object {
        var metadata: JSONValue = ["name": .string(name), "namespace": "default"]
        if let owner {
            metadata = metadata.setting("ownerReferences", [[
                "apiVersion": "v1", "kind": "ConfigMap", "name": .string(owner.name),
                "uid": owner.metadata["uid"] ?? "", "blockOwnerDeletion": .bool(blocking),
            ]])
        }
        let value: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": ["k": "v"]]
        return Object(value.objectValue ?? [:])
    }

    static func reference(_ name: String) -> ObjectReference {
        ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: name)
    }

    /// Waits up to 5 s for the object to be gone.
    static func waitUntilGone(_ cluster: EmbeddedCluster, _ name: String) async throws -> Bool {
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        while ContinuousClock.now < deadline {
            do {
                _ = try await cluster.get(reference(name))
            } catch let error as APIError where error.code == 404 {
                return true
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    func apply(_ cluster: EmbeddedCluster, _ object: Object) async throws -> Object {
        try await cluster.serverSideApply(object, options: ApplyOptions(fieldManager: "test"))
    }

    @Test("foreground: the owner answers pending, its dependents go, then the owner")
    func foreground() async throws {
        let directory = try TemporaryDirectory("sluice-gc")
        let cluster = try await EmbeddedCluster(dataDirectory: directory.url)
        let owner = try await apply(cluster, Self.configMap("owner"))
        _ = try await apply(cluster, Self.configMap("child", owner: owner))
        _ = try await apply(cluster, Self.configMap("bystander"))

        let pending = try await cluster.delete(Self.reference("owner"), options: DeleteOptions(propagationPolicy: .foreground))
        #expect(pending?.metadata["finalizers"] == ["foregroundDeletion"])
        #expect(pending?.metadata["deletionTimestamp"] != nil)
        #expect(try await Self.waitUntilGone(cluster, "child"))
        #expect(try await Self.waitUntilGone(cluster, "owner"))
        #expect(try await cluster.get(Self.reference("bystander")).name == "bystander")
    }

    @Test("background: the owner goes at once, its dependents right after")
    func background() async throws {
        let directory = try TemporaryDirectory("sluice-gc")
        let cluster = try await EmbeddedCluster(dataDirectory: directory.url)
        let owner = try await apply(cluster, Self.configMap("owner"))
        let child = try await apply(cluster, Self.configMap("child", owner: owner, blocking: false))
        _ = try await apply(cluster, Self.configMap("grandchild", owner: child))

        #expect(try await cluster.delete(Self.reference("owner"), options: DeleteOptions(propagationPolicy: .background)) == nil)
        #expect(try await Self.waitUntilGone(cluster, "child"))
        #expect(try await Self.waitUntilGone(cluster, "grandchild"))
    }

    @Test("orphan: the dependents stay, without the reference to the deleted owner")
    func orphan() async throws {
        let directory = try TemporaryDirectory("sluice-gc")
        let cluster = try await EmbeddedCluster(dataDirectory: directory.url)
        let owner = try await apply(cluster, Self.configMap("owner"))
        _ = try await apply(cluster, Self.configMap("child", owner: owner))

        let pending = try await cluster.delete(Self.reference("owner"), options: DeleteOptions(propagationPolicy: .orphan))
        #expect(pending?.metadata["finalizers"] == ["orphan"])
        #expect(try await Self.waitUntilGone(cluster, "owner"))
        let child = try await cluster.get(Self.reference("child"))
        #expect(child.metadata["ownerReferences"] == nil)
    }

    @Test("an object with another finalizer keeps it: only foregroundDeletion is the collector's")
    func otherFinalizers() async throws {
        let directory = try TemporaryDirectory("sluice-gc")
        let cluster = try await EmbeddedCluster(dataDirectory: directory.url)
        var object = Self.configMap("guarded")
        object.metadata["finalizers"] = ["example.com/keep"]
        _ = try await apply(cluster, object)
        _ = try await cluster.delete(Self.reference("guarded"), options: DeleteOptions(propagationPolicy: .foreground))
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        var finalizers = try await cluster.get(Self.reference("guarded")).metadata["finalizers"]
        while finalizers != ["example.com/keep"], ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            finalizers = try await cluster.get(Self.reference("guarded")).metadata["finalizers"]
        }
        #expect(finalizers == ["example.com/keep"])
    }

    @Test("kubectl delete --cascade=foreground returns once the object is gone")
    func kubectlForeground() async throws {
        let server = try await TestServer()
        let kubectl = ["kubectl", "--kubeconfig", server.kubeconfigPath]
        _ = try await apply(server.cluster, Self.configMap("owner"))
        let output = try await kubectlRun(kubectl + ["delete", "configmap", "owner", "--cascade=foreground", "--timeout=20s"])
        #expect(output == "configmap \"owner\" deleted")
        #expect(try await Self.waitUntilGone(server.cluster, "owner"))
        await server.stop()
    }
}
