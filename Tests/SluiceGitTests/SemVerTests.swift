import SluiceGit
import Testing

@Suite("Semantic versions and ranges (Flux ref.semver syntax)")
struct SemVerTests {
    @Test("parsing is lenient about a leading v and missing parts, strict about the rest")
    func parsing() {
        #expect(SemanticVersion("v1.2.3") == SemanticVersion(major: 1, minor: 2, patch: 3))
        #expect(SemanticVersion("1.2") == SemanticVersion(major: 1, minor: 2, patch: 0))
        #expect(SemanticVersion("1.2.3-rc.1+build.7")?.prerelease == ["rc", "1"])
        #expect(SemanticVersion("1.2.3-rc.1+build.7")?.build == ["build", "7"])
        for bad in ["", "v", "1.2.3.4", "1..2", "a.b.c", "1.2.3-", "1.2.3-rc..1", "release-1"] {
            #expect(SemanticVersion(bad) == nil, "\(bad)")
        }
    }

    @Test("ordering follows semver.org §11")
    func ordering() {
        let ordered = [
            "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
            "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0",
        ].compactMap(SemanticVersion.init)
        #expect(ordered.count == 11)
        for (lower, higher) in zip(ordered, ordered.dropFirst()) {
            #expect(lower < higher, "\(lower) < \(higher)")
        }
    }

    @Test(
        "ranges admit and refuse as Masterminds/semver does",
        arguments: [
            (">=1.2.0 <2.0.0", ["1.2.0", "1.9.9"], ["1.1.9", "2.0.0", "1.5.0-rc.1"]),
            (">= 1.2, < 2", ["1.2.0", "1.99.0"], ["2.0.0"]),
            ("~1.2.3", ["1.2.3", "1.2.9"], ["1.3.0", "1.2.2"]),
            ("~1", ["1.0.0", "1.9.0"], ["2.0.0"]),
            ("^1.2.3", ["1.2.3", "1.9.0"], ["2.0.0", "1.2.2"]),
            ("^0.2.3", ["0.2.3", "0.2.9"], ["0.3.0"]),
            ("^0.0.3", ["0.0.3"], ["0.0.4"]),
            ("1.2.x", ["1.2.0", "1.2.7"], ["1.3.0", "1.1.0"]),
            ("*", ["0.0.1", "9.9.9"], ["1.0.0-rc.1"]),
            ("1.2 - 1.4.5", ["1.2.0", "1.4.5"], ["1.4.6", "1.1.0"]),
            ("1.2 - 1.4", ["1.4.9"], ["1.5.0"]),
            (">1.2", ["1.3.0"], ["1.2.5"]),
            ("<=1.2", ["1.2.9"], ["1.3.0"]),
            ("!=1.2.3", ["1.2.4"], ["1.2.3"]),
            ("<1.0.0 || >=2.0.0", ["0.9.0", "2.1.0"], ["1.5.0"]),
            (">=2.0.0-rc.1", ["2.0.0-rc.2", "2.0.0", "2.1.0"], ["2.0.0-rc.0"]),
            ("=1.2.3", ["1.2.3", "v1.2.3"], ["1.2.4"]),
        ])
    func ranges(range: String, admitted: [String], refused: [String]) throws {
        let parsed = try VersionRange(range)
        for version in admitted {
            #expect(parsed.contains(SemanticVersion(version)!), "\(range) should admit \(version)")
        }
        for version in refused {
            #expect(!parsed.contains(SemanticVersion(version)!), "\(range) should refuse \(version)")
        }
    }

    @Test("malformed ranges name the part they could not read")
    func malformed() {
        for range in ["", ">=", ">=1.x.2", "~>banana", "1.2.3.4", "1 - "] {
            #expect(throws: GitError.self, "\(range)") { _ = try VersionRange(range) }
        }
    }
}
