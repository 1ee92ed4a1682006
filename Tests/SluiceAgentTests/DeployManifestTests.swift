import Foundation
import SluiceAgent
import SluiceKube
import SluiceModel
import SluiceRender
import SluiceTestSupport
import Testing

/// deploy/ is how Sluice runs in a cluster: it must render, as kubectl renders it, and grant
/// what the agent uses.
struct DeployManifestTests {
    static let deploy = AgentProcess.package.appendingPathComponent("deploy")

    func rendered() throws -> [Object] {
        try Renderer().render(DiskTree(root: Self.deploy.path)).objects
    }

    @Test("sluice render deploy/ prints what kubectl kustomize prints")
    func rendersLikeKubectl() throws {
        let ours = try Renderer().render(DiskTree(root: Self.deploy.path)).yaml
        let kubectl = String(decoding: try Shell.run(["kubectl", "kustomize", Self.deploy.path]), as: UTF8.self)
        #expect(ours == kubectl)
    }

    @Test("two replicas, leader election, probes, non-root and a read-only root file system")
    func deploymentIsHardened() throws {
        let deployment = try #require(try rendered().first { $0.kind == "Deployment" })
        func value(_ path: String) -> JSONValue? { deployment[FieldPath(parsing: path)] }
        #expect(value("spec.replicas") == .integer(2))
        #expect(value("spec.template.spec.securityContext.runAsNonRoot") == .bool(true))
        let container = "spec.template.spec.containers[0]"
        #expect(value("\(container).securityContext.readOnlyRootFilesystem") == .bool(true))
        #expect(value("\(container).securityContext.allowPrivilegeEscalation") == .bool(false))
        #expect(value("\(container).livenessProbe.httpGet.path")?.stringValue == "/healthz")
        #expect(value("\(container).readinessProbe.httpGet.path")?.stringValue == "/readyz")
        #expect(value("\(container).resources.requests.memory") != nil)
        let arguments = value("\(container).args")?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(arguments.first == "run")
        #expect(!arguments.contains { $0.hasPrefix("--kubeconfig") }, "in a pod the service account is used")
    }

    @Test("the ClusterRole lets the proxy core list and watch every kind it reads, and write their statuses")
    func roleCoversTheProxyFeed() async throws {
        let role = try #require(try rendered().first { $0.kind == "ClusterRole" })
        let rules = role[FieldPath(parsing: "rules")]?.arrayValue ?? []
        func allowed(_ group: String, _ resource: String, _ verb: String) -> Bool {
            rules.contains { rule in
                let strings = { (key: String) in rule[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }
                return strings("apiGroups").contains(group) && strings("resources").contains(resource) && strings("verbs").contains(verb)
            }
        }
        let directory = try TemporaryDirectory("sluice-rbac")
        let cluster = try await EmbeddedCluster(dataDirectory: directory.url)
        for (apiVersion, kind) in ClusterProxyFeed.watchedKinds {
            let resource = try await cluster.resourceKind(apiVersion: apiVersion, kind: kind)
            for verb in ["list", "watch"] {
                #expect(allowed(resource.group, resource.plural, verb), "\(verb) \(resource.plural)")
            }
        }
        for resource in ["gatewayclasses/status", "gateways/status", "httproutes/status", "grpcroutes/status", "listenersets/status"] {
            #expect(allowed("gateway.networking.k8s.io", resource, "patch"), "patch \(resource)")
        }
        #expect(allowed("", "events", "create"))
    }
}
