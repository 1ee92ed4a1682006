import Foundation
import SluiceModel

/// One request to the embedded API, as the transport read it.
struct APIRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    var contentType: String?
    var userAgent: String?
    var body: [UInt8]

    /// Splits `target` (`/path?query`) and percent-decodes the query.
    init(method: String, target: String, contentType: String?, userAgent: String?, body: [UInt8]) {
        self.method = method
        self.contentType = contentType
        self.userAgent = userAgent
        self.body = body
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = String(parts[0])
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let sides = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = Self.decode(String(sides[0]))
                query[key] = sides.count == 2 ? Self.decode(String(sides[1])) : ""
            }
        }
        self.query = query
    }

    private static func decode(_ text: String) -> String {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? text
    }

    /// The field manager: the query's, else the user agent's program name, as the server derives it.
    var manager: String {
        if let manager = query["fieldManager"], !manager.isEmpty { return manager }
        guard let agent = userAgent, !agent.isEmpty else { return "unknown" }
        return String(agent.split(separator: "/").first ?? "unknown")
    }

    var isDryRun: Bool { query["dryRun"] == "All" }
}

/// The answer: a whole body, or a stream of chunks (watch).
enum APIResponse: Sendable {
    case full(status: Int, contentType: String, body: [UInt8], warnings: [String])
    case stream(AsyncStream<[UInt8]>)

    static func json(_ status: Int, _ value: JSONValue, warnings: [String] = []) -> APIResponse {
        .full(status: status, contentType: "application/json", body: Array(value.jsonText().utf8), warnings: warnings)
    }

    static func error(_ error: APIError) -> APIResponse {
        if let text = error.plainText {
            return .full(status: error.code, contentType: "text/plain; charset=utf-8", body: Array(text.utf8), warnings: [])
        }
        return json(error.code, error.statusBody)
    }

    static let pageNotFound = APIResponse.error(.plain(code: 404, text: "404 page not found\n"))
}
