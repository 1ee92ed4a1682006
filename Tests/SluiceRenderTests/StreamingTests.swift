import Foundation
import SluiceGit
import SluiceModel
import SluiceRender
import Testing

/// The streamed rendering (`sluice render`'s) prints what the string rendering holds, and lets go
/// of each object once written.
@Suite struct StreamingTests {
    /// An overlay over `count` Services and as many HTTPRoutes pointing at them.
    static func tree(count: Int) -> Snapshot {
        var services: [String] = []
        var routes: [String] = []
        for index in 0..<count {
            services.append("apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-\(index)\nspec:\n  selector:\n    app: a\(index % 7)\n  ports:\n  - port: 80\n")
            routes.append("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata:
                  name: route-\(index)
                spec:
                  parentRefs:
                  - name: public
                  rules:
                  - backendRefs:
                    - name: svc-\(index)
                      port: 80

                """)
        }
        let files = [
            "base/kustomization.yaml": "resources:\n- services.yaml\n- routes.yaml\n",
            "base/services.yaml": services.joined(separator: "---\n"),
            "base/routes.yaml": routes.joined(separator: "---\n"),
            "overlay/kustomization.yaml": "namePrefix: prod-\nnamespace: shop\ncommonLabels:\n  env: prod\nresources:\n- ../base\n",
        ]
        var entries: [String: Snapshot.Entry] = [:]
        for (path, text) in files { entries[path] = .file(Data(text.utf8), executable: false) }
        return Snapshot(commit: nil, path: "", entries: entries)
    }

    @Test(arguments: [false, true])
    func streamedOutputIsTheStringOutput(gatewayAPIReferences: Bool) throws {
        // More objects than one batch of the stream, so that pieces and batches both join.
        let tree = Self.tree(count: 1_500)
        let renderer = Renderer(configuration: .init(gatewayAPIReferences: gatewayAPIReferences))
        let whole = try renderer.render(tree, path: "overlay")
        var pieces: [String] = []
        try renderer.render(tree, path: "overlay") { pieces.append($0) }
        #expect(pieces.count == 2)
        #expect(pieces.joined() == whole.yaml)
        #expect(whole.objects.count == 3_000)
        #expect(whole.yaml.hasPrefix("apiVersion: v1\nkind: Service\nmetadata:\n  labels:\n    env: prod\n  name: prod-svc-0\n"))
    }

    @Test func writingReleasesEveryObjectAndKeepsTheStream() throws {
        let objects = try YAMLDecoder().objects((0..<40).map { "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\($0)\n" }.joined(separator: "---\n"), file: "c.yaml")
        let writer = KustomizeYAMLWriter()
        for batch in [1, 7, 40, 100] {
            var released = objects
            var pieces: [String] = []
            writer.write(releasing: &released, batch: batch, emit: { pieces.append($0) })
            #expect(pieces.count == (objects.count + batch - 1) / batch)
            #expect(pieces.joined() == writer.write(objects))
            #expect(released.allSatisfy { $0.content.isEmpty })
        }
        var none: [Object] = []
        var calls = 0
        writer.write(releasing: &none, emit: { _ in calls += 1 })
        #expect(calls == 0)
    }
}
