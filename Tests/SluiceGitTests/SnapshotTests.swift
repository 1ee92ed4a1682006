import Foundation
import SluiceTestSupport
import SluiceGit
import Testing

@Suite("Snapshot of a commit, read from the object database")
struct SnapshotTests {
    /// A repository with the kinds of entries a GitOps repo holds: nested YAML, an executable,
    /// a symlink (inside and outside the tree), binary bytes, and names Git sorts specially.
    static func populated() throws -> TestRepository {
        let repository = try TestRepository()
        try repository.write("clusters/prod/kustomization.yaml", "resources:\n- ../../base\n")
        try repository.write("base/route.yaml", "kind: HTTPRoute\nmetadata:\n  name: shop\n")
        try repository.write("base/kustomization.yaml", "resources:\n- route.yaml\n")
        try repository.write("scripts/check.sh", "#!/bin/sh\nexit 0\n", executable: true)
        try repository.write("base/a-b/x.yaml", "x: 1\n")
        try repository.write("base/a.yaml", "a: 1\n")
        try repository.write("README.md", "# demo\n")
        try repository.symlink("base/current.yaml", to: "route.yaml")
        try repository.symlink("escape", to: "../../etc/passwd")
        let binary = Data((0..<256).map { UInt8($0) })
        try binary.write(to: repository.work.appendingPathComponent("base/blob.bin"))
        try repository.commit("initial layout")
        return repository
    }

    @Test("a local path: every entry, mode and byte as git ls-tree and git show print them")
    func localPath() throws {
        let repository = try Self.populated()
        let cache = try TemporaryDirectory("sluice-cache")
        let checkout = try GitCache(directory: cache.url).checkout(
            GitRemote(url: repository.bare.path), reference: .defaultBranch)
        try expectSnapshot(checkout, matches: repository, revision: "main")
        #expect(checkout.snapshot.entries["scripts/check.sh"] == .file(Data("#!/bin/sh\nexit 0\n".utf8), executable: true))
        #expect(checkout.snapshot.entries["escape"] == .symlink(target: "../../etc/passwd"))
        #expect(checkout.fetch.cloned)
        #expect(checkout.revision.refName == "refs/heads/main")
        #expect(checkout.revision.commit.subject == "initial layout")
        #expect(checkout.revision.commit.authorEmail == "test@sluice.invalid")
        let gitTime = try repository.git("show", "-s", "--format=%at", "HEAD")
        #expect(Int(checkout.revision.commit.time.timeIntervalSince1970) == Int(gitTime))
    }

    @Test("file:// URL and a sub-path: paths are relative to the sub-path")
    func fileURLAndSubPath() throws {
        let repository = try Self.populated()
        let cache = try TemporaryDirectory("sluice-cache")
        let checkout = try GitCache(directory: cache.url).checkout(
            GitRemote(url: "file://" + repository.bare.path), reference: .branch("main"), path: "./base/")
        try expectSnapshot(checkout, matches: repository, revision: "main", path: "base")
        #expect(checkout.snapshot.path == "base")
        #expect(checkout.snapshot.paths.first == "a-b/x.yaml")
        #expect(checkout.snapshot.file("route.yaml") == Data("kind: HTTPRoute\nmetadata:\n  name: shop\n".utf8))
    }

    @Test("a sub-path that is missing, a file, or climbs out is a clear error")
    func badSubPaths() throws {
        let repository = try Self.populated()
        let cache = try TemporaryDirectory("sluice-cache")
        let gitCache = GitCache(directory: cache.url)
        let remote = GitRemote(url: repository.bare.path)
        let missing = expectGitError(.pathNotFound) {
            _ = try gitCache.checkout(remote, reference: .defaultBranch, path: "overlays/staging")
        }
        #expect(missing?.description.contains("overlays/staging") == true)
        expectGitError(.pathNotFound) {
            _ = try gitCache.checkout(remote, reference: .defaultBranch, path: "README.md")
        }
        expectGitError(.invalidInput) {
            _ = try gitCache.checkout(remote, reference: .defaultBranch, path: "base/../../etc")
        }
    }
}
