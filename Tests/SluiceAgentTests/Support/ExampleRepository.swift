import Foundation
import SluiceTestSupport

/// example-repo/ (what the README's first command syncs) as a Git repository a test can change:
/// every file copied, and canary steps shortened so a rollout finishes within a test.
enum ExampleRepository {
    static let source = AgentProcess.package.appendingPathComponent("example-repo")

    static func copy(into repository: TestRepository) throws {
        let files = FileManager.default.enumerator(at: source, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = files?.nextObject() as? URL {
            guard (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true else { continue }
            let path = String(url.standardizedFileURL.path.dropFirst(source.standardizedFileURL.path.count + 1))
            var text = try String(contentsOf: url, encoding: .utf8)
            if path == "base/canary.yaml" {
                text = text.replacingOccurrences(of: "interval: 30s", with: "interval: 2s")
                    .replacingOccurrences(of: "minRequests: 20", with: "minRequests: 1")
            }
            try repository.write(path, text)
        }
    }

    /// The shop route's weights in base/ (what Git says traffic should end at).
    static func setWeights(blue: Int, green: Int, in repository: TestRepository) throws {
        let url = repository.work.appendingPathComponent("base/httproute.yaml")
        var text = try String(contentsOf: url, encoding: .utf8)
        for (backend, weight) in [("shop-blue", blue), ("shop-green", green)] {
            let pattern = try NSRegularExpression(pattern: "(name: \(backend)\\n\\s+port: 8080\\n\\s+weight: )\\d+")
            text = pattern.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "$1\(weight)")
        }
        try repository.write("base/httproute.yaml", text)
    }
}
