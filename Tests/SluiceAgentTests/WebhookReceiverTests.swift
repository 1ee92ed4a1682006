import Crypto
import Foundation
import SluiceAgent
import Testing

@Suite("Webhook deliveries: signatures, tokens and push payloads")
struct WebhookReceiverTests {
    static let secret = "It's a Secret to Everybody"

    func signature(_ body: String, secret: String = secret) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }

    @Test("GitHub's published example signature is accepted")
    func gitHubExample() throws {
        // From GitHub's "Validating webhook deliveries": this secret, this body, this signature.
        let receiver = WebhookReceiver(secret: Self.secret)
        let delivery = try receiver.receive(
            headers: [("X-GitHub-Event", "ping"),
                      ("x-hub-signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")],
            body: Array("Hello, World!".utf8))
        #expect(delivery == .ignored(event: "ping"))
    }

    @Test("a GitHub push names the repository in every form, the ref and the commit")
    func gitHubPush() throws {
        let body = """
            {"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000",
             "after":"6113728f27ae82c7b1a177c8d03f9e96e0adf246",
             "repository":{"clone_url":"https://github.com/acme/routes.git","ssh_url":"git@github.com:acme/routes.git",
             "html_url":"https://github.com/acme/routes","name":"routes"},"commits":[]}
            """
        let delivery = try WebhookReceiver(secret: Self.secret).receive(
            headers: [("X-GitHub-Event", "push"), ("X-Hub-Signature-256", signature(body))], body: Array(body.utf8))
        guard case .push(let push) = delivery else {
            Issue.record("expected a push, got \(delivery)")
            return
        }
        #expect(push.provider == .github)
        #expect(push.ref == "refs/heads/main")
        #expect(push.revision == "6113728f27ae82c7b1a177c8d03f9e96e0adf246")
        #expect(push.concerns(repository: "ssh://git@github.com/acme/routes"))
        #expect(push.concerns(repository: "https://GitHub.com/acme/routes/"))
        #expect(!push.concerns(repository: "https://github.com/acme/other.git"))
    }

    @Test("refused: no signature, a wrong one, one for another body, malformed hex", arguments: [
        nil, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18", "sha1=abcdef", "sha256=zz", "sha256=",
    ] as [String?])
    func refusedSignatures(value: String?) {
        let headers = [("X-GitHub-Event", "push")] + (value.map { [("X-Hub-Signature-256", $0)] } ?? [])
        #expect(throws: WebhookReceiver.Refusal.self) {
            try WebhookReceiver(secret: Self.secret).receive(headers: headers, body: Array("Hello, World!".utf8))
        }
        do {
            _ = try WebhookReceiver(secret: Self.secret).receive(headers: headers, body: Array("Hello, World!".utf8))
        } catch {
            #expect(error.status == 401)
        }
    }

    @Test("GitLab's token is checked and its push read")
    func gitLab() throws {
        let body = """
            {"object_kind":"push","ref":"refs/tags/v1.2.0","checkout_sha":"da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
             "project":{"git_http_url":"https://gitlab.example.com/acme/routes.git","git_ssh_url":"git@gitlab.example.com:acme/routes.git"}}
            """
        let receiver = WebhookReceiver(secret: "s3cret")
        let delivery = try receiver.receive(
            headers: [("X-Gitlab-Event", "Tag Push Hook"), ("X-Gitlab-Token", "s3cret")], body: Array(body.utf8))
        #expect(delivery == .push(WebhookPush(
            provider: .gitlab,
            repositoryURLs: ["https://gitlab.example.com/acme/routes.git", "git@gitlab.example.com:acme/routes.git"],
            ref: "refs/tags/v1.2.0", revision: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7")))
        #expect(throws: WebhookReceiver.Refusal(status: 401, message: "X-Gitlab-Token does not match")) {
            try receiver.receive(headers: [("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", "s3cre")], body: Array(body.utf8))
        }
        #expect(try receiver.receive(headers: [("X-Gitlab-Event", "Issue Hook"), ("X-Gitlab-Token", "s3cret")], body: [])
            == .ignored(event: "Issue Hook"))
    }

    @Test("a generic sender signs its body; an empty body means sync now")
    func generic() throws {
        let receiver = WebhookReceiver(secret: Self.secret)
        #expect(try receiver.receive(headers: [("X-Sluice-Signature", signature(""))], body: []) == .push(WebhookPush(provider: .generic)))
        let body = #"{"repository":"git://127.0.0.1/routes","ref":"refs/heads/main"}"#
        let delivery = try receiver.receive(headers: [("X-Sluice-Signature", signature(body))], body: Array(body.utf8))
        #expect(delivery == .push(WebhookPush(provider: .generic, repositoryURLs: ["git://127.0.0.1/routes"], ref: "refs/heads/main")))
        #expect(throws: WebhookReceiver.Refusal.self) {
            try receiver.receive(headers: [("X-Sluice-Signature", signature(body, secret: "other"))], body: Array(body.utf8))
        }
    }

    @Test("a signed body that is not JSON is a 400, an oversized one a 413")
    func malformed() {
        let receiver = WebhookReceiver(secret: Self.secret, maxBodySize: 64)
        do {
            _ = try receiver.receive(headers: [("X-Sluice-Signature", signature("{not json"))], body: Array("{not json".utf8))
            Issue.record("accepted a body that is not JSON")
        } catch {
            #expect(error.status == 400)
        }
        let large = String(repeating: " ", count: 65)
        do {
            _ = try receiver.receive(headers: [("X-Sluice-Signature", signature(large))], body: Array(large.utf8))
            Issue.record("accepted an oversized body")
        } catch {
            #expect(error.status == 413)
        }
    }

    @Test("a deleted ref is recognised")
    func deletedRef() {
        #expect(WebhookPush(provider: .github, revision: String(repeating: "0", count: 40)).deletesRef)
        #expect(!WebhookPush(provider: .github, revision: "6113728f27ae82c7b1a177c8d03f9e96e0adf246").deletesRef)
    }
}
