import Foundation
import SluiceTestSupport
import Testing

@testable import SluiceGit

@Suite("known_hosts parsing and matching")
struct KnownHostsTests {
    static let keyA = Data([0, 0, 0, 11] + Array("ssh-ed25519".utf8) + [0, 0, 0, 32] + Array(repeating: 1, count: 32))
    static let keyB = Data([0, 0, 0, 11] + Array("ssh-ed25519".utf8) + [0, 0, 0, 32] + Array(repeating: 2, count: 32))

    @Test("plain, bracketed-port, wildcard and negated patterns")
    func patterns() throws {
        let text = """
            # comment
            git.example,10.0.0.1 ssh-ed25519 \(Self.keyA.base64EncodedString())
            [git.example]:2222 ssh-ed25519 \(Self.keyB.base64EncodedString())
            *.corp.example,!evil.corp.example ssh-ed25519 \(Self.keyA.base64EncodedString())
            @cert-authority *.example ssh-ed25519 \(Self.keyB.base64EncodedString())

            """
        let hosts = try KnownHosts(text)
        #expect(hosts.verdict(host: "git.example", port: nil, key: Self.keyA) == .trusted)
        #expect(hosts.verdict(host: "git.example", port: 22, key: Self.keyA) == .trusted)
        #expect(hosts.verdict(host: "GIT.EXAMPLE", port: 22, key: Self.keyA) == .trusted)
        #expect(hosts.verdict(host: "git.example", port: 2222, key: Self.keyB) == .trusted)
        #expect(hosts.verdict(host: "git.example", port: 2222, key: Self.keyA) == .mismatch(knownTypes: ["ssh-ed25519"]))
        #expect(hosts.verdict(host: "git.example", port: nil, key: Self.keyB) == .mismatch(knownTypes: ["ssh-ed25519"]))
        #expect(hosts.verdict(host: "build.corp.example", port: nil, key: Self.keyA) == .trusted)
        #expect(hosts.verdict(host: "evil.corp.example", port: nil, key: Self.keyA) == .unknownHost)
        #expect(hosts.verdict(host: "other.example", port: nil, key: Self.keyB) == .unknownHost)
    }

    @Test("a revoked key is refused even when another line trusts it")
    func revoked() throws {
        let hosts = try KnownHosts("""
            git.example ssh-ed25519 \(Self.keyA.base64EncodedString())
            @revoked * ssh-ed25519 \(Self.keyA.base64EncodedString())
            """)
        #expect(hosts.verdict(host: "git.example", port: nil, key: Self.keyA) == .revoked)
    }

    @Test("malformed lines are errors naming the line")
    func malformed() {
        #expect(throws: GitError.self) { _ = try KnownHosts("ok ssh-ed25519 AAAA\njust-a-host\n") }
        do {
            _ = try KnownHosts("\n\nhost ssh-ed25519 !!!notbase64\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("line 3"))
        }
    }
}
