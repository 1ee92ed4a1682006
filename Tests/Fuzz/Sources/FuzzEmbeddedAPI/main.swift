import Foundation
import FuzzSupport
import SluiceKube

/// HTTP requests to the embedded API server, past the HTTP parser: one input is a request as text,
///
///     METHOD TARGET
///     Header: value
///     ...
///     (empty line)
///     body
///
/// handed to `APIServer.answer` (authentication, routing, the cluster: apply, patch, create,
/// replace, delete, list, watch, discovery). Without an Authorization header the server's own
/// token is sent, so most inputs get past authentication. The store persists in a temporary
/// directory (on /dev/shm when there is one, so fsync is cheap) and grows over the run.
///
/// An answer must be a real HTTP status, and a JSON body must parse; an error is a `Status`
/// carrying the same code.
let directory: URL = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
    let url = base.appendingPathComponent("sluice-fuzz-api-\(getpid())")
    try? FileManager.default.removeItem(at: url)
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}()

let server: APIServer = blocking {
    let cluster = try await EmbeddedCluster(dataDirectory: directory)
    return APIServer(cluster: cluster, credentials: try ServerCredentials.loadOrCreate(in: directory))
}
atexit { try? FileManager.default.removeItem(at: directory) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEmbeddedAPI(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    // The head is text up to the first empty line; the rest is the body, as bytes.
    var headEnd = input.count
    var bodyStart = input.count
    for index in input.indices where input[index] == 0x0A {
        if index + 1 < input.count, input[index + 1] == 0x0A {
            headEnd = index
            bodyStart = index + 2
            break
        }
    }
    let head = String(decoding: input[..<headEnd], as: UTF8.self)
    let body = Array(input[bodyStart...])
    var lines = head.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard !lines.isEmpty else { return 0 }
    let requestLine = lines.removeFirst().split(separator: " ", maxSplits: 1).map(String.init)
    // NIOHTTP1 hands over a method token and a target without spaces or control characters.
    guard requestLine.count == 2, !requestLine[0].isEmpty,
        requestLine.allSatisfy({ $0.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F } })
    else { return 0 }
    var headers: [(name: String, value: String)] = lines.compactMap { line in
        guard let colon = line.firstIndex(of: ":") else { return nil }
        return (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
    }
    if !headers.contains(where: { $0.name.lowercased() == "authorization" }) {
        headers.append(("Authorization", "Bearer \(server.credentials.token)"))
    }
    let request = (method: requestLine[0], target: requestLine[1], headers: headers, body: body)
    let answer = blocking { await server.answer(method: request.method, target: request.target, headers: request.headers, body: request.body) }

    precondition((100..<600).contains(answer.status), "status \(answer.status)")
    if answer.contentType == "application/json", !answer.isWatch {
        let parsed = try? JSONSerialization.jsonObject(with: Data(answer.body), options: [.fragmentsAllowed])
        precondition(parsed != nil, "a JSON answer that does not parse: \(String(decoding: answer.body.prefix(200), as: UTF8.self))")
        if answer.status >= 400, let status = parsed as? [String: Any] {
            precondition(status["kind"] as? String == "Status", "an error that is not a Status")
            precondition(status["code"] as? Int == answer.status, "a Status whose code is not the answer's")
        }
    }
    return 0
}

runLibFuzzer { data, size in fuzzEmbeddedAPI(data, size) }
