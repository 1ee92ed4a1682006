import Foundation
import SluiceAgent
import Testing

@Suite("sluice.yaml: the repository layout")
struct RepositoryLayoutTests {
    @Test("example-repo's sluice.yaml reads, with defaults filled in")
    func exampleRepo() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("example-repo/sluice.yaml"), encoding: .utf8)
        let layout = try RepositoryLayout.parse(text)
        #expect(layout.targets.map(\.name) == ["shared", "staging", "production"])
        #expect(layout.targets.map(\.driftMode) == [.correct, .correct, .alert])
        for target in layout.targets {
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("example-repo/\(target.path)/kustomization.yaml").path))
        }
    }

    @Test("defaults: correct drift, prune on, empty revisions refused, canaries on")
    func defaults() throws {
        let layout = try RepositoryLayout.parse("""
            apiVersion: sluice.dev/v1alpha1
            kind: SyncConfig
            interval: 1m
            targets:
            - {name: web, path: overlays/web}
            """)
        #expect(layout.interval == "1m")
        #expect(layout.targets == [RepositoryLayout.Target(name: "web", path: "overlays/web")])
    }

    @Test("each problem is reported with file, line and field", arguments: [
        ("- {name: web, path: a, driftMode: fix}",
         #"sluice.yaml:5: targets[0].driftMode: Unsupported value: "fix": supported values: "correct", "alert""#),
        ("- {name: web}", #"sluice.yaml:5: targets[0].path: Required value"#),
        ("- {name: web, path: ../outside}", #"sluice.yaml:5: targets[0].path: "../outside" must not leave the repository (no "..")"#),
        ("- {name: web, path: /etc}", #"sluice.yaml:5: targets[0].path: "/etc" must be relative to the repository root"#),
        ("- {name: web, path: a, colour: blue}", #"sluice.yaml:5: targets[0].colour: unknown field "colour""#),
        ("- {name: Web, path: a}", #"sluice.yaml:5: targets[0].name: Invalid value: "Web": targets[0].name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'"#),
        ("- {name: web, path: a, ignore: [{kind: HTTPRoute, paths: [spec/rules]}]}",
         #"sluice.yaml:5: targets[0].ignore[0].paths[0]: "spec/rules" is not a JSON pointer (RFC 6901): it starts with / and escapes ~ and / as ~0 and ~1"#),
    ])
    func problems(target: String, expected: String) {
        let text = "apiVersion: sluice.dev/v1alpha1\nkind: SyncConfig\n# one target\ntargets:\n\(target)\n"
        #expect(throws: RepositoryLayoutError(problems: [expected])) { try RepositoryLayout.parse(text) }
    }

    @Test("two targets with one name are refused")
    func duplicateNames() {
        let text = """
            apiVersion: sluice.dev/v1alpha1
            kind: SyncConfig
            targets:
            - {name: web, path: a}
            - {name: web, path: b}
            """
        #expect(throws: RepositoryLayoutError.self) { try RepositoryLayout.parse(text) }
        do {
            _ = try RepositoryLayout.parse(text)
        } catch {
            #expect(error.problems.count == 1)
            #expect(error.problems == [#"sluice.yaml:5: targets[1]: Duplicate value: "web""#])
        }
    }

    @Test("ignore rules match by kind, namespace and name; omitted fields match anything")
    func ignoreRules() {
        let rule = RepositoryLayout.IgnoreRule(kind: "HTTPRoute", name: "shop", paths: ["/spec/rules/0/backendRefs"])
        #expect(rule.matches(.init(apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: "demo", name: "shop")))
        #expect(!rule.matches(.init(apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", namespace: "demo", name: "cart")))
    }
}
