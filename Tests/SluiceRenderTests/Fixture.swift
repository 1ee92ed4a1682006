import Foundation
import SluiceGit
import SluiceRender
import Testing

/// One differential fixture: an input tree and what `kubectl kustomize` made of it (see
/// regenerate.sh for the layout).
struct Fixture: Sendable, CustomTestStringConvertible {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    let name: String
    var directory: URL { Self.root.appendingPathComponent(name) }
    var input: URL { directory.appendingPathComponent("input") }
    var testDescription: String { name }

    static let all: [Fixture] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.sorted().map(Fixture.init)
    }()

    init(name: String) { self.name = name }

    func read(_ file: String) -> String? {
        try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
    }

    func has(_ file: String) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path)
    }

    /// The kustomization directory inside `input/`.
    var path: String { read("path")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "" }
    var expectedError: String? { read("expected-error.txt")?.trimmingCharacters(in: .newlines) }
    var expected: String? { read("expected.yaml") }
    /// Sluice's default output where its Gateway API renaming changes kubectl's.
    var expectedSluice: String? { has("gateway-extensions") ? read("expected-sluice.yaml") : expected }
    var sluiceOnly: Bool { has("sluice-only") }

    /// The input as a Git-like snapshot: files with their bytes, symlinks as targets.
    func snapshot() throws -> Snapshot {
        var entries: [String: Snapshot.Entry] = [:]
        let base = input.path
        let enumerator = FileManager.default.enumerator(atPath: base)
        while let relative = enumerator?.nextObject() as? String {
            let full = base + "/" + relative
            let attributes = try FileManager.default.attributesOfItem(atPath: full)
            switch attributes[.type] as? FileAttributeType {
            case .typeSymbolicLink?:
                entries[relative] = .symlink(target: try FileManager.default.destinationOfSymbolicLink(atPath: full))
            case .typeRegular?:
                entries[relative] = .file(try Data(contentsOf: URL(fileURLWithPath: full)), executable: false)
            default:
                continue
            }
        }
        return Snapshot(commit: nil, path: "", entries: entries)
    }
}
