import Crypto
import Foundation

/// Checks and reads webhook deliveries from GitHub, GitLab and generic senders.
///
/// GitHub signs the body with HMAC-SHA256 (`X-Hub-Signature-256: sha256=…`); GitLab sends the
/// shared secret itself (`X-Gitlab-Token`); a generic sender signs like GitHub, in
/// `X-Sluice-Signature`. Signatures and tokens are compared in constant time, and nothing of a
/// refused delivery is trusted or echoed.
public struct WebhookReceiver: Sendable {
    /// The largest body read; GitHub caps payloads at 25 MB, pushes are far smaller.
    public var maxBodySize: Int
    private let key: SymmetricKey
    private let secretDigest: SHA256.Digest

    public init(secret: String, maxBodySize: Int = 5 * 1024 * 1024) {
        key = SymmetricKey(data: Data(secret.utf8))
        secretDigest = SHA256.hash(data: Data(secret.utf8))
        self.maxBodySize = maxBodySize
    }

    /// What a delivery turned out to be.
    public enum Delivery: Sendable, Hashable {
        case push(WebhookPush)
        /// Authentic, but not a push (GitHub's `ping`, an issue comment): acknowledged, ignored.
        case ignored(event: String)
    }

    /// Why a delivery was refused; `status` is the HTTP status to answer with.
    public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        public var status: Int
        public var message: String
        public var description: String { "\(status): \(message)" }

        public init(status: Int, message: String) {
            self.status = status
            self.message = message
        }
    }

    /// Checks `body` against its headers (names compared case-insensitively) and reads the push.
    public func receive(headers: [(name: String, value: String)], body: [UInt8]) throws(Refusal) -> Delivery {
        func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
        guard body.count <= maxBodySize else {
            throw Refusal(status: 413, message: "payload larger than \(maxBodySize) bytes")
        }
        if let event = header("X-GitHub-Event") {
            try verifySignature(header("X-Hub-Signature-256"), body: body, header: "X-Hub-Signature-256")
            guard event == "push" else { return .ignored(event: event) }
            return .push(try GitHubPayload.read(body))
        }
        if let event = header("X-Gitlab-Event") {
            try verifyToken(header("X-Gitlab-Token"))
            guard event == "Push Hook" || event == "Tag Push Hook" else { return .ignored(event: event) }
            return .push(try GitLabPayload.read(body))
        }
        try verifySignature(header("X-Sluice-Signature"), body: body, header: "X-Sluice-Signature")
        return .push(try GenericPayload.read(body))
    }

    private func verifySignature(_ value: String?, body: [UInt8], header: String) throws(Refusal) {
        guard let value else { throw Refusal(status: 401, message: "missing \(header)") }
        guard value.hasPrefix("sha256="), let signature = Self.bytes(hex: value.dropFirst(7)), signature.count == 32,
              HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: body, using: key)
        else { throw Refusal(status: 401, message: "\(header) does not match the payload") }
    }

    private func verifyToken(_ value: String?) throws(Refusal) {
        guard let value else { throw Refusal(status: 401, message: "missing X-Gitlab-Token") }
        // Comparing digests keeps the time independent of where, and whether, the lengths differ.
        let offered = SHA256.hash(data: Data(value.utf8))
        let difference = zip(offered, secretDigest).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) }
        guard difference == 0 else { throw Refusal(status: 401, message: "X-Gitlab-Token does not match") }
    }

    static func bytes(hex: Substring) -> [UInt8]? {
        guard hex.utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.utf8.count / 2)
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}

private func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8], sender: String) throws(WebhookReceiver.Refusal) -> T {
    do {
        return try JSONDecoder().decode(T.self, from: Data(body))
    } catch {
        throw WebhookReceiver.Refusal(status: 400, message: "not a \(sender) push payload: \(error)")
    }
}

/// The fields of GitHub's `push` event Sluice reads.
private struct GitHubPayload: Decodable {
    struct Repository: Decodable {
        var cloneURL: String?
        var sshURL: String?
        var gitURL: String?
        var htmlURL: String?

        enum CodingKeys: String, CodingKey {
            case cloneURL = "clone_url", sshURL = "ssh_url", gitURL = "git_url", htmlURL = "html_url"
        }
    }
    var ref: String?
    var after: String?
    var repository: Repository?

    static func read(_ body: [UInt8]) throws(WebhookReceiver.Refusal) -> WebhookPush {
        let payload = try decode(Self.self, body, sender: "GitHub")
        let urls = [payload.repository?.cloneURL, payload.repository?.sshURL, payload.repository?.gitURL, payload.repository?.htmlURL]
        return WebhookPush(provider: .github, repositoryURLs: urls.compactMap { $0 }, ref: payload.ref, revision: payload.after)
    }
}

/// The fields of GitLab's `Push Hook` and `Tag Push Hook` Sluice reads.
private struct GitLabPayload: Decodable {
    struct Project: Decodable {
        var httpURL: String?
        var sshURL: String?
        var webURL: String?

        enum CodingKeys: String, CodingKey {
            case httpURL = "git_http_url", sshURL = "git_ssh_url", webURL = "web_url"
        }
    }
    var ref: String?
    var checkoutSHA: String?
    var after: String?
    var project: Project?

    enum CodingKeys: String, CodingKey {
        case ref, after, project, checkoutSHA = "checkout_sha"
    }

    static func read(_ body: [UInt8]) throws(WebhookReceiver.Refusal) -> WebhookPush {
        let payload = try decode(Self.self, body, sender: "GitLab")
        let urls = [payload.project?.httpURL, payload.project?.sshURL, payload.project?.webURL]
        return WebhookPush(
            provider: .gitlab, repositoryURLs: urls.compactMap { $0 }, ref: payload.ref,
            revision: payload.checkoutSHA ?? payload.after)
    }
}

/// A generic sender's body: all fields optional, an empty body means "sync now".
private struct GenericPayload: Decodable {
    var repository: String?
    var ref: String?
    var revision: String?

    static func read(_ body: [UInt8]) throws(WebhookReceiver.Refusal) -> WebhookPush {
        guard body.contains(where: { !($0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09) }) else {
            return WebhookPush(provider: .generic)
        }
        let payload = try decode(Self.self, body, sender: "generic")
        return WebhookPush(
            provider: .generic, repositoryURLs: payload.repository.map { [$0] } ?? [], ref: payload.ref,
            revision: payload.revision)
    }
}
