import Foundation
import SluiceTestSupport
import SluiceGit
import Testing

@Suite("Transports: real servers on 127.0.0.1")
struct TransportTests {
    @Test("git:// from git daemon")
    func gitDaemon() throws {
        let repository = try SnapshotTests.populated()
        let daemon = try GitDaemon.start(exporting: repository.root)
        defer { daemon.stop() }
        let cache = try TemporaryDirectory("sluice-cache")
        let checkout = try GitCache(directory: cache.url).checkout(
            GitRemote(url: "git://127.0.0.1:\(daemon.port)/repo.git"), reference: .name("main"))
        try expectSnapshot(checkout, matches: repository, revision: "main")
        #expect(checkout.fetch.statistics.receivedObjects > 0)
    }

    @Test("smart HTTP with basic auth: the right password fetches, a wrong one is refused")
    func httpBasic() throws {
        let repository = try SnapshotTests.populated()
        let server = try GitHTTPServer.start(exporting: repository.root, user: "sluice", password: "s3cret")
        defer { server.stop() }
        let cache = try TemporaryDirectory("sluice-cache")
        let gitCache = GitCache(directory: cache.url)
        let url = "http://127.0.0.1:\(server.port)/repo.git"

        let checkout = try gitCache.checkout(
            GitRemote(url: url, auth: .basic(username: "sluice", password: "s3cret")), reference: .defaultBranch)
        try expectSnapshot(checkout, matches: repository, revision: "main")

        let wrong = try TemporaryDirectory("sluice-cache")
        let refused = expectGitError(.authenticationFailed) {
            _ = try GitCache(directory: wrong.url).checkout(
                GitRemote(url: url, auth: .basic(username: "sluice", password: "wrong")), reference: .defaultBranch)
        }
        #expect(refused?.description.contains(url) == true)
        #expect(refused?.description.contains("wrong") == false)

        let anonymous = expectGitError(.authenticationFailed) {
            _ = try GitCache(directory: wrong.url).checkout(GitRemote(url: url), reference: .defaultBranch)
        }
        #expect(anonymous?.description.contains("none that fit are configured") == true)
    }

    @Test("a password in the URL never appears in an error")
    func passwordInURLIsRedacted() throws {
        let repository = try TestRepository()
        try repository.commit("empty")
        let server = try GitHTTPServer.start(exporting: repository.root, user: "sluice", password: "right")
        defer { server.stop() }
        let cache = try TemporaryDirectory("sluice-cache")
        let error = expectGitError(.authenticationFailed) {
            _ = try GitCache(directory: cache.url).checkout(
                GitRemote(url: "http://sluice:hunter2@127.0.0.1:\(server.port)/repo.git"), reference: .defaultBranch)
        }
        #expect(error.map { !$0.description.contains("hunter2") } == true)
        #expect(error?.description.contains("sluice:***@127.0.0.1") == true)
    }

    @Test("smart HTTP with a bearer token")
    func httpBearer() throws {
        let repository = try SnapshotTests.populated()
        let server = try GitHTTPServer.start(exporting: repository.root, token: "tok-123")
        defer { server.stop() }
        let cache = try TemporaryDirectory("sluice-cache")
        let url = "http://127.0.0.1:\(server.port)/repo.git"
        let checkout = try GitCache(directory: cache.url).checkout(
            GitRemote(url: url, auth: .bearer(token: "tok-123")), reference: .defaultBranch)
        try expectSnapshot(checkout, matches: repository, revision: "main")
        let other = try TemporaryDirectory("sluice-cache")
        expectGitError(.authenticationFailed) {
            _ = try GitCache(directory: other.url).checkout(
                GitRemote(url: url, auth: .bearer(token: "tok-999")), reference: .defaultBranch)
        }
    }

    /// One test, in this order, because libgit2's TLS trust store is process-wide: a CA file
    /// once loaded stays loaded.
    @Test("HTTPS: an untrusted certificate is refused; a CA file or an explicit skip accepts it")
    func https() throws {
        let repository = try SnapshotTests.populated()
        let certificates = try TestCertificates(in: repository.directory.url)
        let server = try GitHTTPServer.start(
            exporting: repository.root, user: "sluice", password: "pw",
            tls: (certificates.serverCert, certificates.serverKey))
        defer { server.stop() }
        // mbedtls (Debian's libgit2 TLS backend) matches only DNS names, so the certificate names
        // 127.0.0.1 as a DNS name too.
        let url = "https://127.0.0.1:\(server.port)/repo.git"
        let auth = GitAuth.basic(username: "sluice", password: "pw")

        let untrusted = try TemporaryDirectory("sluice-cache")
        expectGitError(.certificateRejected) {
            _ = try GitCache(directory: untrusted.url).checkout(GitRemote(url: url, auth: auth), reference: .defaultBranch)
        }

        let skipping = try TemporaryDirectory("sluice-cache")
        let insecure = try GitCache(directory: skipping.url).checkout(
            GitRemote(url: url, auth: auth, insecureSkipTLSVerify: true), reference: .defaultBranch)
        try expectSnapshot(insecure, matches: repository, revision: "main")

        let trusting = try TemporaryDirectory("sluice-cache")
        let verified = try GitCache(directory: trusting.url).checkout(
            GitRemote(url: url, auth: auth, caFile: certificates.caCert.path), reference: .defaultBranch)
        try expectSnapshot(verified, matches: repository, revision: "main")
    }

    @Test("SSH with a private key, and the host key checked against known_hosts")
    func ssh() throws {
        let repository = try SnapshotTests.populated()
        let server = try SSHServer(directory: repository.directory.url)
        defer { server.server.stop() }
        let url = server.url(for: repository.bare)
        func remote(knownHosts: String, key: URL? = nil) -> GitRemote {
            GitRemote(url: url, auth: .ssh(.init(
                username: server.user, privateKeyPath: (key ?? server.userKey).path,
                publicKeyPath: (key ?? server.userKey).path + ".pub", knownHosts: knownHosts)))
        }
        let cache = try TemporaryDirectory("sluice-cache")
        let checkout = try GitCache(directory: cache.url).checkout(
            remote(knownHosts: server.knownHostsLine), reference: .defaultBranch)
        try expectSnapshot(checkout, matches: repository, revision: "main")

        // A host that is not listed.
        let unknown = expectGitError(.unknownHostKey) {
            let empty = try TemporaryDirectory("sluice-cache")
            _ = try GitCache(directory: empty.url).checkout(
                remote(knownHosts: "[127.0.0.1]:1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFak\n"),
                reference: .defaultBranch)
        }
        #expect(unknown?.description.contains("[127.0.0.1]:\(server.port) is not in known_hosts") == true)

        // The host listed with another key: a possible man in the middle.
        let otherKey = repository.directory.url.appendingPathComponent("other_host_key")
        try Shell.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", otherKey.path])
        let otherPublic = try String(contentsOf: otherKey.appendingPathExtension("pub"), encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        let mismatch = expectGitError(.unknownHostKey) {
            let empty = try TemporaryDirectory("sluice-cache")
            _ = try GitCache(directory: empty.url).checkout(
                remote(knownHosts: "[127.0.0.1]:\(server.port) \(otherPublic)\n"), reference: .defaultBranch)
        }
        #expect(mismatch?.description.contains("host key mismatch") == true)

        // A hashed known_hosts entry, as `ssh-keygen -H` writes it.
        let hashedFile = repository.directory.url.appendingPathComponent("known_hosts")
        try Data(server.knownHostsLine.utf8).write(to: hashedFile)
        try Shell.run(["ssh-keygen", "-q", "-H", "-f", hashedFile.path])
        let hashed = try String(contentsOf: hashedFile, encoding: .utf8)
        #expect(hashed.hasPrefix("|1|"))
        let hashedCache = try TemporaryDirectory("sluice-cache")
        _ = try GitCache(directory: hashedCache.url).checkout(remote(knownHosts: hashed), reference: .defaultBranch)

        // A user key the server does not accept.
        let strangerKey = repository.directory.url.appendingPathComponent("stranger")
        try Shell.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", strangerKey.path])
        expectGitError(.authenticationFailed) {
            let empty = try TemporaryDirectory("sluice-cache")
            _ = try GitCache(directory: empty.url).checkout(
                remote(knownHosts: server.knownHostsLine, key: strangerKey), reference: .defaultBranch)
        }
    }
}
