import Crypto
import Foundation
import FuzzSupport
import SluiceAgent

let secret = "fuzz-secret"
let receiver = WebhookReceiver(secret: secret, maxBodySize: 64 * 1024)

/// One input: its first byte picks the sender (GitHub, GitLab, generic; correctly or wrongly
/// signed), the rest is the body. Correct signatures let the payload parsers be reached.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebhook(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let selector = input.first else { return 0 }
    let body = Array(input.dropFirst())
    let signature = "sha256=" + HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        .map { String(format: "%02x", $0) }.joined()
    let signed = selector & 0x80 == 0
    let headers: [(name: String, value: String)] = switch selector % 3 {
    case 0: [("X-GitHub-Event", selector & 0x40 == 0 ? "push" : "ping"), ("X-Hub-Signature-256", signed ? signature : "sha256=00")]
    case 1: [("X-Gitlab-Event", selector & 0x40 == 0 ? "Push Hook" : "Tag Push Hook"), ("X-Gitlab-Token", signed ? secret : "wrong")]
    default: [("X-Sluice-Signature", signed ? signature : String(decoding: body.prefix(80), as: UTF8.self))]
    }
    do {
        let delivery = try receiver.receive(headers: headers, body: body)
        precondition(signed, "an unsigned delivery was accepted")
        if case .push(let push) = delivery {
            _ = push.deletesRef
            _ = push.concerns(repository: "https://example.test/acme/routes.git")
        }
    } catch {
        precondition([400, 401, 413].contains(error.status), "unexpected status \(error.status)")
    }
    return 0
}

runLibFuzzer { data, size in fuzzWebhook(data, size) }
