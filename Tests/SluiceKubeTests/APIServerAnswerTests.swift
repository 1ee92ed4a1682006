import Foundation
import SluiceModel
import SluiceTestSupport
import Testing

@testable import SluiceKube

/// `APIServer.answer`, the socket-less entry the fuzz target drives, over the fuzz target's seed
/// corpus (Tests/Fuzz/Corpus/EmbeddedAPI): every answer holds the invariants the fuzz target
/// checks, and the seeds that must be refused are refused with the server's codes.
@Suite struct APIServerAnswerTests {
    static let corpus = SharedData.packageRoot.appendingPathComponent("Tests/Fuzz/Corpus/EmbeddedAPI")

    /// A seed as the fuzz target reads it: `METHOD TARGET`, header lines, an empty line, the body;
    /// nil for the inputs the target skips (a request line NIO's parser would never hand over).
    static func request(_ bytes: [UInt8]) -> (method: String, target: String, headers: [(name: String, value: String)], body: [UInt8])? {
        var headEnd = bytes.count
        var bodyStart = bytes.count
        for index in bytes.indices where bytes[index] == 0x0A && index + 1 < bytes.count && bytes[index + 1] == 0x0A {
            headEnd = index
            bodyStart = index + 2
            break
        }
        var lines = String(decoding: bytes[..<headEnd], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard !lines.isEmpty else { return nil }
        let requestLine = lines.removeFirst().split(separator: " ", maxSplits: 1).map(String.init)
        guard requestLine.count == 2, !requestLine[0].isEmpty,
            requestLine.allSatisfy({ $0.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F } })
        else { return nil }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        return (requestLine[0], requestLine[1], headers, Array(bytes[bodyStart...]))
    }

    @Test("the fuzz seeds: real statuses, JSON that parses, errors as a Status with the same code")
    func seedsHoldTheInvariants() async throws {
        let directory = try TemporaryDirectory("sluice-answer")
        let cluster = try await EmbeddedCluster(dataDirectory: directory.url)
        let server = APIServer(cluster: cluster, credentials: try ServerCredentials.loadOrCreate(in: directory.url))
        // The hand-written seeds first, on a fresh store, as their expected codes assume; then the
        // inputs the fuzzer kept (named by their SHA-1).
        let isFound = { (name: String) in name.count == 40 && name.allSatisfy(\.isHexDigit) }
        let seeds = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path)
            .sorted { (isFound($0) ? 1 : 0, $0) < (isFound($1) ? 1 : 0, $1) }
        #expect(seeds.count >= 20)
        var statuses: [String: Int] = [:]
        for seed in seeds {
            let bytes = [UInt8](try Data(contentsOf: Self.corpus.appendingPathComponent(seed)))
            guard let request = Self.request(bytes) else { continue }
            var headers = request.headers
            if !headers.contains(where: { $0.name.lowercased() == "authorization" }) {
                headers.append(("Authorization", "Bearer \(server.credentials.token)"))
            }
            let answer = await server.answer(method: request.method, target: request.target, headers: headers, body: request.body)
            statuses[seed] = answer.status
            #expect((100..<600).contains(answer.status), "\(seed)")
            if answer.contentType == "application/json", !answer.isWatch {
                let parsed = try? JSONSerialization.jsonObject(with: Data(answer.body), options: [.fragmentsAllowed])
                #expect(parsed != nil, "\(seed): \(String(decoding: answer.body.prefix(200), as: UTF8.self))")
                if answer.status >= 400, let status = parsed as? [String: Any] {
                    #expect(status["kind"] as? String == "Status" && status["code"] as? Int == answer.status, "\(seed)")
                }
            }
        }
        #expect(statuses.count >= 20, "seeds the fuzz target reads as requests")
        #expect(statuses["unauthorized"] == 401)
        #expect(statuses["not-found"] == 404)
        #expect(statuses["json-patch"] == 200)
        #expect(statuses["json-patch-failed-test"] == 422)
        #expect(statuses["unsupported-media"] == 415 || statuses["unsupported-media"] == 404)
        #expect(statuses["apply-route-yaml"] == 201)
        #expect(statuses["create-configmap"] == 201)
        #expect(statuses["version"] == 200)
        #expect(statuses["watch"] == 200)
    }

    @Test("a create in protobuf (kubectl's for core kinds) is refused with 415, not read as JSON")
    func protobufBodyIsUnsupported() async throws {
        let directory = try TemporaryDirectory("sluice-answer")
        let cluster = try await EmbeddedCluster(dataDirectory: directory.url)
        let server = APIServer(cluster: cluster, credentials: try ServerCredentials.loadOrCreate(in: directory.url))
        let authorization = ("Authorization", "Bearer \(server.credentials.token)")
        // The envelope kubectl sends: "k8s\0" and a runtime.Unknown message.
        let protobuf = Array("k8s\0".utf8) + [0x0A, 0x0F, 0x0A, 0x02, 0x76, 0x31, 0x12, 0x09] + Array("Namespace".utf8)
        let refused = await server.answer(
            method: "POST", target: "/api/v1/namespaces",
            headers: [authorization, ("Content-Type", "application/vnd.kubernetes.protobuf")], body: protobuf)
        #expect(refused.status == 415)
        #expect(String(decoding: refused.body, as: UTF8.self).contains("accepted media types include: application/json"))
        let created = await server.answer(
            method: "POST", target: "/api/v1/namespaces", headers: [authorization, ("Content-Type", "application/json")],
            body: Array(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"foo"}}"#.utf8))
        #expect(created.status == 201)
    }
}
