import Foundation
import SluiceSync
import SluiceTestSupport
import Testing

@Suite("Unified diff, compared with GNU diff -u")
struct UnifiedDiffTests {
    /// What `diff -u` prints for the two texts, with fixed labels.
    func gnuDiff(_ old: String, _ new: String) throws -> String {
        let directory = try TemporaryDirectory("unified-diff")
        try old.write(to: directory.path("old"), atomically: true, encoding: .utf8)
        try new.write(to: directory.path("new"), atomically: true, encoding: .utf8)
        let outcome = try Shell.outcome(
            ["diff", "-u", "--label", "live/route.yaml", "--label", "merged/route.yaml",
             directory.path("old").path, directory.path("new").path])
        #expect(outcome.status == (old == new ? 0 : 1), "\(outcome.errorOutput)")
        return outcome.output
    }

    static let route = """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: shop
          namespace: demo
        spec:
          parentRefs:
          - name: edge
          rules:
          - backendRefs:
            - name: blue
              port: 8080
              weight: 100
            - name: green
              port: 8080
              weight: 0
          - matches:
            - path:
                type: PathPrefix
                value: /static

        """

    static var cases: [(String, String)] {
        let route = Self.route
        return [
            (route, route.replacingOccurrences(of: "weight: 100", with: "weight: 90")
                .replacingOccurrences(of: "weight: 0", with: "weight: 10")),
            (route, route + "status: {}\n"),
            ("", route),
            (route, ""),
            (route, route.replacingOccurrences(of: "  parentRefs:\n  - name: edge\n", with: "")),
            ("a\nb\nc", "a\nb\nd"),
            ("a\nb\nc\n", "a\nb\nc"),
            ("x\na\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\ny\n", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n"),
            ("a\nb\na\nb\na\n", "b\na\nb\na\nb\n"),
            (route, route.replacingOccurrences(of: "edge", with: "edge-2").replacingOccurrences(of: "/static", with: "/assets")),
        ]
    }

    @Test("the same output as diff -u", arguments: 0..<10)
    func sameAsGNU(index: Int) throws {
        let (old, new) = Self.cases[index]
        let ours = UnifiedDiff().diff(old, new, oldLabel: "live/route.yaml", newLabel: "merged/route.yaml")
        #expect(ours == (try gnuDiff(old, new)))
    }

    @Test("random line edits give the same output as diff -u")
    func randomEdits() throws {
        var generator = SeededGenerator(seed: 12)
        let words = ["name: a", "name: b", "port: 80", "- x", "  y: 1", "kind: K", ""]
        var identical = 0
        for _ in 0..<40 {
            let old = (0..<Int.random(in: 0...30, using: &generator)).map { _ in words.randomElement(using: &generator)! }
            var new = old
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                let position = Int.random(in: 0...new.count, using: &generator)
                if Bool.random(using: &generator), position < new.count {
                    new.remove(at: position)
                } else {
                    new.insert(words.randomElement(using: &generator)!, at: position)
                }
            }
            let oldText = old.map { $0 + "\n" }.joined()
            let newText = new.map { $0 + "\n" }.joined()
            let ours = UnifiedDiff().diff(oldText, newText, oldLabel: "live/route.yaml", newLabel: "merged/route.yaml")
            let theirs = try gnuDiff(oldText, newText)
            // Equal-cost scripts may differ from GNU's choice; both must then be minimal and valid.
            if ours == theirs { identical += 1 } else {
                #expect(changedLines(ours) == changedLines(theirs), "\(oldText)---\n\(newText)")
            }
        }
        print("unified diff: \(identical) of 40 random edits byte-identical to diff -u")
    }

    func changedLines(_ diff: String) -> Int {
        diff.split(separator: "\n").filter { ($0.hasPrefix("+") || $0.hasPrefix("-")) && !$0.hasPrefix("+++") && !$0.hasPrefix("---") }.count
    }
}

/// A deterministic generator, so a failure can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
