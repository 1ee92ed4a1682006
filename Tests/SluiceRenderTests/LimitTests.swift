import Foundation
import SluiceGit
import SluiceModel
import SluiceRender
import Testing

/// What the renderer refuses, and that it refuses it quickly and with the place named.
@Suite struct LimitTests {
    static func snapshot(_ files: [String: String], symlinks: [String: String] = [:]) -> Snapshot {
        var entries: [String: Snapshot.Entry] = [:]
        for (path, text) in files { entries[path] = .file(Data(text.utf8), executable: false) }
        for (path, target) in symlinks { entries[path] = .symlink(target: target) }
        return Snapshot(commit: nil, path: "", entries: entries)
    }

    static let service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"

    @Test func filesOverTheSizeLimitAreRefusedBeforeParsing() {
        let tree = Self.snapshot(["kustomization.yaml": "resources:\n- big.yaml\n", "big.yaml": Self.service + String(repeating: "# padding\n", count: 200)])
        let renderer = Renderer(configuration: .init(maxFileBytes: 1024))
        #expect {
            try renderer.render(tree)
        } throws: { error in
            (error as? RenderError)?.description.contains("big.yaml:1: file is 2051 bytes, over the limit of 1024") == true
        }
    }

    @Test func kustomizationsNestingTooDeepAreRefused() {
        var files: [String: String] = [:]
        var path = ""
        for level in 0..<10 {
            let child = path.isEmpty ? "l\(level)" : "\(path)/l\(level)"
            files[(path.isEmpty ? "" : path + "/") + "kustomization.yaml"] = "resources:\n- l\(level)\n"
            path = child
        }
        files[path + "/kustomization.yaml"] = "resources:\n- svc.yaml\n"
        files[path + "/svc.yaml"] = Self.service
        #expect(throws: Never.self) { try Renderer().render(Self.snapshot(files)) }
        let shallow = Renderer(configuration: .init(maxKustomizationDepth: 5))
        #expect {
            try shallow.render(Self.snapshot(files))
        } throws: { error in
            (error as? RenderError)?.message.contains("kustomizations nest deeper than 5 levels") == true
        }
    }

    /// FuzzKustomization's find: a snapshot entry whose path has no components ("" or "/").
    @Test func entriesWithEmptyPathsAreIgnored() throws {
        let tree = Self.snapshot(["kustomization.yaml": "resources:\n- web.yaml\n", "web.yaml": Self.service, "": "x", "/": "y"])
        #expect(try Renderer().render(tree).objects.map(\.name) == ["web"])
    }

    @Test func symlinkLoopsStop() {
        let tree = Self.snapshot(["kustomization.yaml": "resources:\n- a.yaml\n"], symlinks: ["a.yaml": "b.yaml", "b.yaml": "a.yaml"])
        #expect {
            try Renderer().render(tree)
        } throws: { error in
            (error as? RenderError)?.message == "too many levels of symbolic links"
        }
    }

    @Test func symlinksInsideTheTreeAreFollowed() throws {
        let tree = Self.snapshot(
            ["kustomization.yaml": "resources:\n- linked/svc.yaml\n", "real/svc.yaml": Self.service],
            symlinks: ["linked": "real"])
        #expect(try Renderer().render(tree).objects.map(\.name) == ["web"])
    }

    @Test func pathsAboveTheRootAreRefused() {
        let tree = Self.snapshot(["app/kustomization.yaml": "resources:\n- ../../outside\n"])
        #expect {
            try Renderer().render(tree, path: "app")
        } throws: { error in
            (error as? RenderError)?.description == "app/kustomization.yaml:2: accumulating resources from '../../outside': the path is outside the repository"
        }
    }

    @Test func aMissingKustomizationIsNamed() {
        #expect {
            try Renderer().render(Self.snapshot(["svc.yaml": Self.service]))
        } throws: { error in
            (error as? RenderError)?.message.hasPrefix("unable to find one of 'kustomization.yaml'") == true
        }
    }

    @Test func anAliasBombFailsFastAtItsLine() throws {
        let fixture = Fixture(name: "error-alias-bomb")
        let start = ContinuousClock.now
        #expect(throws: RenderError.self) { try Renderer().render(DiskTree(root: fixture.input.path)) }
        #expect(ContinuousClock.now - start < .seconds(30))
    }
}

/// Pieces of the output format checked on their own.
@Suite struct WriterTests {
    @Test func generatedNamesCarryKustomizesHash() throws {
        // kubectl kustomize printed cfg-h29d89cmmt for this generator.
        let tree = LimitTests.snapshot(["kustomization.yaml": "configMapGenerator:\n- name: cfg\n  literals: [a=1]\n"])
        #expect(try Renderer().render(tree).objects.map(\.name) == ["cfg-h29d89cmmt"])
    }

    @Test func stringsThatReadAsOtherTypesAreQuoted() {
        let writer = KustomizeYAMLWriter()
        #expect(writer.write(["a": "true", "b": "0x1F", "c": "1:30", "d": "plain", "e": "- x", "n": "x"]) == """
            a: "true"
            b: "0x1F"
            c: "1:30"
            d: plain
            e: '- x'
            "n": x

            """)
    }

    @Test func longPlainStringsFoldPastColumnEighty() {
        let text = String(repeating: "a", count: 85) + " " + String(repeating: "b", count: 10)
        #expect(KustomizeYAMLWriter().write(["k": .string(text)]) == "k: \(String(repeating: "a", count: 85))\n  \(String(repeating: "b", count: 10))\n")
    }

    @Test func keysSortNaturally() {
        let keys = ["a10", "a9", "B", "a", "_x", "1"]
        let written = KustomizeYAMLWriter().write(.object(.init(uniqueKeysWithValues: keys.map { ($0, SluiceModel.JSONValue.integer(1)) })))
        #expect(written.split(separator: "\n").map { String($0.prefix { $0 != ":" }) } == ["_x", "\"1\"", "B", "a", "a9", "a10"])
    }
}
