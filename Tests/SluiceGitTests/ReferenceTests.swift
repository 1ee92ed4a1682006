import Foundation
import SluiceTestSupport
import SluiceGit
import Testing

@Suite("Resolving refs: branch, tag, commit id, semver range")
struct ReferenceTests {
    /// main with three commits and release tags; a `develop` branch; an annotated tag;
    /// pre-release and non-semver tags that ranges must skip.
    static func tagged() throws -> TestRepository {
        let repository = try TestRepository()
        try repository.write("app.yaml", "version: 1.0.0\n")
        try repository.commit("release 1.0.0")
        try repository.git("tag", "v1.0.0")
        try repository.write("app.yaml", "version: 1.2.0\n")
        try repository.commit("release 1.2.0")
        try repository.git("tag", "-a", "v1.2.0", "-m", "annotated 1.2.0")
        try repository.git("tag", "1.3.0")
        try repository.write("app.yaml", "version: 2.0.0-rc.1\n")
        try repository.commit("release candidate 2.0.0-rc.1")
        try repository.git("tag", "v2.0.0-rc.1")
        try repository.git("tag", "not-a-version")
        try repository.git("checkout", "-q", "-b", "develop")
        try repository.write("app.yaml", "version: dev\n")
        try repository.commit("develop work")
        try repository.git("checkout", "-q", "main")
        try repository.push()
        return repository
    }

    static func resolve(_ repository: TestRepository, _ ref: String) throws -> GitCache.Checkout {
        let cache = try TemporaryDirectory("sluice-cache")
        return try GitCache(directory: cache.url).checkout(
            GitRemote(url: repository.bare.path), reference: try GitReference(parsing: ref))
    }

    @Test(
        "each ref form resolves to the commit git rev-parse names",
        arguments: [
            ("HEAD", "main", "refs/heads/main"),
            ("main", "main", "refs/heads/main"),
            ("develop", "develop", "refs/heads/develop"),
            ("refs/heads/develop", "develop", "refs/heads/develop"),
            ("branch:develop", "develop", "refs/heads/develop"),
            ("v1.0.0", "v1.0.0", "refs/tags/v1.0.0"),
            ("tag:v1.2.0", "v1.2.0", "refs/tags/v1.2.0"),
            ("refs/tags/1.3.0", "1.3.0", "refs/tags/1.3.0"),
            (">=1.0.0 <2.0.0", "1.3.0", "refs/tags/1.3.0"),
            ("semver:~1.2", "v1.2.0", "refs/tags/v1.2.0"),
            ("^1.0", "1.3.0", "refs/tags/1.3.0"),
            ("<1.2.0", "v1.0.0", "refs/tags/v1.0.0"),
            (">=2.0.0-rc.0", "v2.0.0-rc.1", "refs/tags/v2.0.0-rc.1"),
            ("1.0.0 - 1.2.x", "v1.2.0", "refs/tags/v1.2.0"),
        ])
    func resolvesLikeGit(ref: String, gitRevision: String, refName: String) throws {
        let repository = try Self.tagged()
        let checkout = try Self.resolve(repository, ref)
        try expectSnapshot(checkout, matches: repository, revision: gitRevision)
        #expect(checkout.revision.refName == refName)
    }

    @Test("a full and an abbreviated commit id resolve to that commit")
    func commitIDs() throws {
        let repository = try Self.tagged()
        let id = try repository.git("rev-parse", "v1.0.0^{commit}")
        let full = try Self.resolve(repository, id)
        #expect(full.revision.commit.id == id)
        #expect(full.revision.refName == nil)
        let short = try Self.resolve(repository, String(id.prefix(10)))
        #expect(short.revision.commit.id == id)
        try expectSnapshot(short, matches: repository, revision: id)
    }

    @Test("a semver range picks the highest satisfying tag and reports the version")
    func semverReportsVersion() throws {
        let repository = try Self.tagged()
        let checkout = try Self.resolve(repository, ">=1.0.0")
        #expect(checkout.revision.version == SemanticVersion("1.3.0"))
        #expect(checkout.revision.displayName.hasPrefix("1.3.0@sha1:"))
    }

    @Test("a missing branch, tag or commit is a GitError naming the ref and the URL")
    func missingRefs() throws {
        let repository = try Self.tagged()
        for ref in ["feature/none", "tag:v9.9.9", "branch:gone", "commit:0123456789abcdef0123456789abcdef01234567"] {
            let error = expectGitError(.refNotFound) { _ = try Self.resolve(repository, ref) }
            #expect(error?.url == repository.bare.path)
            #expect(error?.ref != nil)
            #expect(error?.description.contains(repository.bare.path) == true)
        }
    }

    @Test("a semver range no tag satisfies says so and lists the tags it saw")
    func unsatisfiableRange() throws {
        let repository = try Self.tagged()
        let error = expectGitError(.noVersionSatisfies) { _ = try Self.resolve(repository, ">=3.0.0") }
        #expect(error?.description.contains("no tag satisfies semver range '>=3.0.0'") == true)
        #expect(error?.description.contains("1.3.0") == true)
    }

    @Test("a malformed range is rejected before anything is fetched")
    func malformedRange() {
        expectGitError(.invalidInput) { _ = try GitReference(parsing: ">=1.x.2") }
        expectGitError(.invalidInput) { _ = try GitReference(parsing: "semver:>=banana") }
    }
}
