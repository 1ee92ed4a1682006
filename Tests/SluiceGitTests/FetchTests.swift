import Foundation
import SluiceTestSupport
import SluiceGit
import Testing

@Suite("Fetching into the cache: incremental, and nothing half-written")
struct FetchTests {
    /// Counts the objects `git rev-list --objects` says are new between two commits.
    static func newObjects(_ repository: TestRepository, from old: String, to new: String) throws -> Int {
        try repository.git("rev-list", "--objects", "\(old)..\(new)").split(separator: "\n").count
    }

    @Test("a pushed commit is found by the next fetch, which receives only the new objects")
    func incremental() throws {
        let repository = try SnapshotTests.populated()
        for index in 0..<50 { try repository.write("routes/route-\(index).yaml", "name: r\(index)\n") }
        let first = try repository.commit("fifty routes")
        let daemon = try GitDaemon.start(exporting: repository.root)
        defer { daemon.stop() }
        let cache = try TemporaryDirectory("sluice-cache")
        let gitCache = GitCache(directory: cache.url)
        let remote = GitRemote(url: "git://127.0.0.1:\(daemon.port)/repo.git")

        let initial = try gitCache.checkout(remote, reference: .branch("main"))
        #expect(initial.revision.commit.id == first)
        #expect(initial.fetch.cloned)
        let allObjects = try repository.git("rev-list", "--objects", "--all").split(separator: "\n").count
        #expect(initial.fetch.statistics.receivedObjects == allObjects)

        let unchanged = try gitCache.checkout(remote, reference: .branch("main"))
        #expect(unchanged.fetch.statistics.receivedObjects == 0)
        #expect(!unchanged.fetch.cloned)

        try repository.write("routes/route-7.yaml", "name: r7\nweight: 90\n")
        let second = try repository.commit("reweight route 7")
        let next = try gitCache.checkout(remote, reference: .branch("main"))
        #expect(next.revision.commit.id == second)
        #expect(!next.fetch.cloned)
        let expected = try Self.newObjects(repository, from: first, to: second)
        #expect(expected == 4)  // commit, root tree, routes/ tree, one blob
        #expect(next.fetch.statistics.receivedObjects == expected)
        try expectSnapshot(next, matches: repository, revision: second)
    }

    @Test("past autoPackLimit packs an entry is repacked into one that git fsck accepts, every ref still readable")
    func repacking() throws {
        let repository = try ReferenceTests.tagged()
        let cache = try TemporaryDirectory("sluice-cache")
        let gitCache = GitCache(directory: cache.url, autoPackLimit: 3)
        let remote = GitRemote(url: repository.bare.path)
        let packs = URL(fileURLWithPath: gitCache.entryPath(for: remote.url).path).appendingPathComponent("objects/pack")
        func packCount() throws -> Int {
            try FileManager.default.contentsOfDirectory(atPath: packs.path).filter { $0.hasSuffix(".pack") }.count
        }
        var counts: [Int] = []
        var newest = ""
        for index in 0..<6 {
            try repository.write("routes/route-\(index).yaml", "name: r\(index)\n")
            newest = try repository.commit("route \(index)")
            try repository.push()
            let checkout = try gitCache.checkout(remote, reference: .branch("main"))
            #expect(checkout.revision.commit.id == newest)
            counts.append(try packCount())
        }
        // One pack from the clone, one more per fetch; the fetch that makes it 4 packs them into 1.
        #expect(counts == [1, 2, 3, 1, 2, 3])

        let entry = gitCache.entryPath(for: remote.url).path
        #expect(try Shell.text(["git", "--git-dir", entry, "fsck", "--full", "--strict"]).isEmpty)
        try expectSnapshot(try gitCache.checkout(remote, reference: .branch("main")), matches: repository, revision: newest)
        try expectSnapshot(try gitCache.checkout(remote, reference: .tag("v1.2.0")), matches: repository, revision: "v1.2.0")
        try expectSnapshot(try gitCache.checkout(remote, reference: .branch("develop")), matches: repository, revision: "develop")
        let annotated = try Shell.text(["git", "--git-dir", entry, "cat-file", "-t", "refs/tags/v1.2.0"])
        #expect(annotated == "tag")
    }

    @Test("a branch deleted on the remote disappears from the cache on the next fetch")
    func pruning() throws {
        let repository = try ReferenceTests.tagged()
        let cache = try TemporaryDirectory("sluice-cache")
        let gitCache = GitCache(directory: cache.url)
        let remote = GitRemote(url: repository.bare.path)
        _ = try gitCache.checkout(remote, reference: .branch("develop"))
        try Shell.run(["git", "--git-dir", repository.bare.path, "branch", "-D", "develop"])
        expectGitError(.refNotFound) { _ = try gitCache.checkout(remote, reference: .branch("develop")) }
    }

    @Test("an unreachable host is a clear error, and the last good state stays readable")
    func unreachableKeepsLastGoodState() throws {
        let repository = try SnapshotTests.populated()
        let daemon = try GitDaemon.start(exporting: repository.root)
        let cache = try TemporaryDirectory("sluice-cache")
        let gitCache = GitCache(directory: cache.url)
        let remote = GitRemote(url: "git://127.0.0.1:\(daemon.port)/repo.git")
        let good = try gitCache.checkout(remote, reference: .defaultBranch)
        daemon.stop()

        let error = expectGitError(.unreachable) { _ = try gitCache.checkout(remote, reference: .defaultBranch) }
        #expect(error?.description.contains("git://127.0.0.1:\(daemon.port)/repo.git") == true)
        #expect(error?.function == "git_remote_connect")
        let lastGood = try gitCache.resolve(remote, reference: .defaultBranch)
        #expect(lastGood.commit.id == good.revision.commit.id)
    }

    @Test("an HTTP server that vanished mid-way and a port nobody listens on are unreachable")
    func closedPorts() throws {
        let port = try freeLoopbackPort()
        let cache = try TemporaryDirectory("sluice-cache")
        for url in ["http://127.0.0.1:\(port)/repo.git", "git://127.0.0.1:\(port)/repo.git"] {
            let error = expectGitError(.unreachable) {
                _ = try GitCache(directory: cache.url).fetch(GitRemote(url: url))
            }
            #expect(error?.url == url)
        }
        // Nothing was left behind for the failed first clones.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cache.url.path)
            .filter { !$0.hasSuffix(".lock") }
        #expect(leftovers.isEmpty)
    }

    @Test(
        "a corrupted cache entry is re-cloned and the snapshot is still right",
        arguments: ["garbage HEAD", "missing objects", "truncated pack", "garbage branch ref"])
    func corruptedCache(damage: String) throws {
        let repository = try SnapshotTests.populated()
        let cache = try TemporaryDirectory("sluice-cache")
        let gitCache = GitCache(directory: cache.url)
        let remote = GitRemote(url: repository.bare.path)
        _ = try gitCache.checkout(remote, reference: .defaultBranch)
        let entry = gitCache.entryPath(for: remote.url)
        let fileManager = FileManager.default
        switch damage {
        case "garbage HEAD":
            try Data("\u{0}\u{1}garbage".utf8).write(to: entry.appendingPathComponent("HEAD"))
        case "missing objects":
            try fileManager.removeItem(at: entry.appendingPathComponent("objects"))
            try fileManager.createDirectory(at: entry.appendingPathComponent("objects"), withIntermediateDirectories: true)
        case "truncated pack":
            let packs = entry.appendingPathComponent("objects/pack")
            for name in try fileManager.contentsOfDirectory(atPath: packs.path) where name.hasSuffix(".pack") {
                let url = packs.appendingPathComponent(name)
                let data = try Data(contentsOf: url)
                try data.prefix(data.count / 3).write(to: url)
            }
        default:
            try Data("not-an-object-id\n".utf8).write(to: entry.appendingPathComponent("refs/remotes/origin/main"))
        }
        try repository.write("after-damage.yaml", "x: 1\n")
        let newest = try repository.commit("commit after the damage")
        let repaired = try gitCache.checkout(remote, reference: .defaultBranch)
        #expect(repaired.fetch.cloned)
        #expect(repaired.fetch.rebuiltBecause != nil)
        #expect(repaired.revision.commit.id == newest)
        try expectSnapshot(repaired, matches: repository, revision: newest)
    }

    @Test("one cache entry per URL, and credentials do not leak into its name")
    func entryNames() throws {
        let cache = GitCache(directory: URL(fileURLWithPath: "/cache"))
        let a = cache.entryPath(for: "https://user:secret@git.example/org/a.git")
        let b = cache.entryPath(for: "https://git.example/org/b.git")
        #expect(a != b)
        #expect(!a.path.contains("secret"))
        #expect(a.lastPathComponent.hasSuffix(".git"))
    }
}
