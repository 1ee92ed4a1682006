import Foundation
import SluiceGit
import SluiceModel
import SluiceRender
import SluiceTestSupport
import Testing

/// Rendered objects keep none of their files' text, yet still name the file and line of any of
/// their fields (read again when asked: `validate` and the sync loop report problems that way).
@Suite struct SourceLineTests {
    static let files = [
        "base/kustomization.yaml": "resources:\n- routes.yaml\n",
        "base/routes.yaml": (0..<50).map { index in
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              name: route-\(index)
            spec:
              rules:
              - backendRefs:
                - name: svc-\(index)
                  port: 80

            """
        }.joined(separator: "---\n"),
        "overlay/kustomization.yaml": "namePrefix: prod-\nnamespace: shop\nresources:\n- ../base\n",
    ]

    static func check(_ objects: [Object]) {
        #expect(objects.count == 50)
        // Sorted by name: route-0, route-1, route-10, ...; each document is 10 lines.
        for object in objects {
            let index = Int(object.name.dropFirst("prod-route-".count))!
            let port = object.location(of: FieldPath(parsing: "spec.rules[0].backendRefs[0].port"))
            #expect(port == SourceLocation(file: "base/routes.yaml", line: 10 * index + 9, column: 7), "\(object.reference)")
            #expect(object.location()?.line == 10 * index + 1)
        }
    }

    @Test("from a snapshot")
    func snapshot() throws {
        var entries: [String: Snapshot.Entry] = [:]
        for (path, text) in Self.files { entries[path] = .file(Data(text.utf8), executable: false) }
        Self.check(try Renderer().objects(Snapshot(commit: nil, path: "", entries: entries), path: "overlay"))
    }

    @Test("from a directory on disk")
    func disk() throws {
        let directory = try TemporaryDirectory("sluice-lines")
        for (path, text) in Self.files {
            let url = directory.path(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        Self.check(try Renderer().objects(DiskTree(root: directory.url.path), path: "overlay"))
    }
}
