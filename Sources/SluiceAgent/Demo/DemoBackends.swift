import NIOHTTP1
import OrderedCollections
import SluiceModel

/// The blue and green upstream servers of example-repo (its EndpointSlices point at
/// 127.0.0.1:18081 and :18082), so `sluice run --demo-backends` shows routing and a canary
/// with no cluster and no other program.
public enum DemoBackends {
    /// One demo upstream: its name is its answer, so a split is visible with curl.
    public struct Backend: Sendable, Hashable {
        public var name: String
        public var port: Int

        public init(name: String, port: Int) {
            self.name = name
            self.port = port
        }
    }

    public static let standard = [Backend(name: "blue", port: 18081), Backend(name: "green", port: 18082)]

    /// The server of one backend: `/health` answers `ok`; every other path echoes the backend's
    /// name, the path and the headers a route's filters add, as JSON.
    public static func endpoint(for backend: Backend, host: String = "127.0.0.1") -> HTTPEndpoint {
        HTTPEndpoint(name: "demo-\(backend.name)", host: host, port: backend.port) { request in
            if request.path == "/health" { return .init(body: "ok\n") }
            var headers: JSONObject = [:]
            for header in request.headers { headers[header.name.lowercased()] = .string(header.value) }
            let answer: JSONValue = .object(["backend": .string(backend.name), "path": .string(request.uri), "headers": .object(headers)])
            let body = answer.jsonText() + "\n"
            var response = HTTPEndpoint.Response(contentType: "application/json", bytes: Array(body.utf8))
            response.headers.add(name: "x-backend", value: backend.name)
            return response
        }
    }
}
