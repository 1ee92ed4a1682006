import Foundation
import FuzzSupport
import SluiceGit
import SluiceRender

/// The files of one input: the text is cut at lines `%%% PATH` into files of a repository
/// (before the first mark: `kustomization.yaml`); `-> TARGET` after a path makes it a symlink.
func repository(from text: String) -> Snapshot {
    var entries: [String: Snapshot.Entry] = [:]
    var path = "kustomization.yaml"
    var lines: [Substring] = []
    func flush() {
        if let arrow = path.range(of: " -> ") {
            entries[String(path[..<arrow.lowerBound])] = .symlink(target: String(path[arrow.upperBound...]))
        } else {
            entries[path] = .file(Data(lines.joined(separator: "\n").utf8), executable: false)
        }
        lines = []
    }
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("%%% ") {
            flush()
            path = String(line.dropFirst(4))
        } else {
            lines.append(line)
        }
    }
    flush()
    return Snapshot(commit: nil, path: "", entries: entries)
}

/// One input: a repository → `Renderer.render` → the YAML stream or an error; never a crash,
/// never a read outside the repository.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKustomization(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let snapshot = repository(from: String(decoding: fuzzInput(data, size), as: UTF8.self))
    let renderer = Renderer(configuration: .init(maxFileBytes: 1 << 20, maxKustomizationDepth: 16))
    do {
        let rendering = try renderer.render(snapshot)
        precondition(rendering.objects.isEmpty == rendering.yaml.isEmpty, "objects and YAML disagree")
    } catch {
        precondition(!"\(error)".isEmpty, "an error without a message")
    }
    return 0
}

runLibFuzzer { data, size in fuzzKustomization(data, size) }
