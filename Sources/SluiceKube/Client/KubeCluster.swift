import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SluiceModel

/// A real Kubernetes API server over HTTPS, through async-http-client: server-side apply as
/// `PATCH application/apply-patch+yaml`, discovery to map kinds to resources, watches read as a
/// stream of newline-delimited JSON. Failures are `APIError`s decoded from the server's Status.
public final class KubeCluster: Cluster {
    public let configuration: Kubeconfig
    let client: HTTPClient
    let discovery = DiscoveryCache()
    let authorization: String?

    public init(_ configuration: Kubeconfig, maximumConnections: Int = 32) throws {
        self.configuration = configuration
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = configuration.certificateAuthorityPEM {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
        }
        if let certificate = configuration.clientCertificatePEM, let key = configuration.clientKeyPEM {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificate.utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
        }
        if configuration.insecureSkipTLSVerify { tls.certificateVerification = .none }
        var settings = HTTPClient.Configuration(tlsConfiguration: tls)
        settings.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: maximumConnections)
        settings.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)
        authorization = configuration.token.map { "Bearer \($0)" }
    }

    /// Closes the connections; call once when done.
    public func shutdown() async throws {
        try await client.shutdown()
    }

    // MARK: - Requests

    struct Reply {
        var status: Int
        var body: ByteBuffer
        var warnings: [String]
    }

    func send(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], contentType: String? = nil, body: [UInt8]? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: configuration.server + path + Self.queryString(query))
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "sluice/1.0")
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 256 << 20)
        return Reply(status: Int(response.status.code), body: bytes, warnings: response.headers["Warning"])
    }

    /// The reply's JSON, or the APIError it carries.
    func decode(_ reply: Reply) throws -> JSONValue {
        let bytes = Array(reply.body.readableBytesView)
        let value = try? JSONParser.parse(bytes)
        guard (200..<300).contains(reply.status) else {
            if let value, let error = APIError(status: value, httpStatus: reply.status) { throw error }
            throw APIError.plain(code: reply.status, text: String(decoding: bytes, as: UTF8.self))
        }
        guard let value else { throw APIError(code: reply.status, reason: "InternalError", message: "the server answered with a body that is not JSON") }
        return value
    }

    static func queryString(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+,;")
        return "?" + query.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }.joined(separator: "&")
    }

    func path(_ reference: ObjectReference) async throws -> (ResourceKind, String) {
        let kind = try await resourceKind(apiVersion: reference.apiVersion, kind: reference.kind)
        return (kind, kind.objectPath(namespace: namespace(reference.namespace), name: reference.name))
    }

    /// The namespace of a reference without one: the kubeconfig context's, else `default`.
    func namespace(_ namespace: String?) -> String { namespace ?? configuration.namespace ?? "default" }

    static func object(_ value: JSONValue) -> Object { Object(value.objectValue ?? [:]) }

    // MARK: - Cluster

    public func resourceKind(apiVersion: String, kind: String) async throws -> ResourceKind {
        if let known = await discovery.kind(apiVersion: apiVersion, kind: kind) { return known }
        let parts = apiVersion.split(separator: "/", maxSplits: 1).map(String.init)
        let (group, version) = parts.count == 2 ? (parts[0], parts[1]) : ("", parts.first ?? "v1")
        let listPath = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        let reply = try await send(.GET, listPath)
        let list: JSONValue
        do {
            list = try decode(reply)
        } catch let error as APIError where error.code == 404 {
            throw APIError(code: 404, reason: "NotFound", message: "no matches for kind \(FieldError.goQuote(kind)) in version \(FieldError.goQuote(apiVersion))")
        }
        var found: [ResourceKind] = []
        for resource in list["resources"]?.arrayValue ?? [] {
            guard let name = resource["name"]?.stringValue, !name.contains("/"), let kindName = resource["kind"]?.stringValue else { continue }
            found.append(ResourceKind(group: group, version: version, kind: kindName, plural: name, namespaced: resource["namespaced"]?.boolValue ?? true))
        }
        await discovery.remember(found)
        guard let known = found.first(where: { $0.kind == kind }) else {
            throw APIError(code: 404, reason: "NotFound", message: "no matches for kind \(FieldError.goQuote(kind)) in version \(FieldError.goQuote(apiVersion))")
        }
        return known
    }

    public func serverSideApply(_ object: Object, options: ApplyOptions) async throws -> Object {
        let (_, path) = try await path(object.reference)
        var query = [("fieldManager", options.fieldManager)]
        if options.force { query.append(("force", "true")) }
        if options.dryRun { query.append(("dryRun", "All")) }
        // JSON is YAML: the server reads either under apply-patch+yaml.
        let reply = try await send(.PATCH, path, query: query, contentType: "application/apply-patch+yaml", body: Array(object.value.jsonText().utf8))
        return Self.object(try decode(reply))
    }

    public func create(_ object: Object, fieldManager: String) async throws -> Object {
        let kind = try await resourceKind(apiVersion: object.apiVersion, kind: object.kind)
        let path = kind.collectionPath(namespace: namespace(object.namespace))
        let reply = try await send(.POST, path, query: [("fieldManager", fieldManager)], contentType: "application/json", body: Array(object.value.jsonText().utf8))
        return Self.object(try decode(reply))
    }

    public func get(_ reference: ObjectReference) async throws -> Object {
        let (_, path) = try await path(reference)
        return Self.object(try decode(try await send(.GET, path)))
    }

    public func list(_ kind: ResourceKind, namespace: String?, options: ListOptions) async throws -> ObjectList {
        var query: [(String, String)] = []
        if let selector = options.labelSelector { query.append(("labelSelector", selector)) }
        if let selector = options.fieldSelector { query.append(("fieldSelector", selector)) }
        if let limit = options.limit { query.append(("limit", String(limit))) }
        if let token = options.continueToken, !token.isEmpty { query.append(("continue", token)) }
        let value = try decode(try await send(.GET, kind.collectionPath(namespace: namespace), query: query))
        return ObjectList(
            items: (value["items"]?.arrayValue ?? []).map { item in
                // Items of a list carry no apiVersion/kind on some servers; give them back.
                Self.object(item.setting("apiVersion", item["apiVersion"] ?? .string(kind.apiVersion)).setting("kind", item["kind"] ?? .string(kind.kind)))
            },
            resourceVersion: value["metadata"]?["resourceVersion"]?.stringValue ?? "",
            continueToken: value["metadata"]?["continue"]?.stringValue ?? "")
    }

    @discardableResult
    public func delete(_ reference: ObjectReference, options: DeleteOptions) async throws -> Object? {
        let (_, path) = try await path(reference)
        let body = options.body.map { Array($0.jsonText().utf8) }
        let value = try decode(try await send(.DELETE, path, contentType: body == nil ? nil : "application/json", body: body))
        return value["kind"]?.stringValue == "Status" ? nil : Self.object(value)
    }

    public func patchStatus(_ reference: ObjectReference, status: JSONValue, fieldManager: String) async throws -> Object {
        let (_, path) = try await path(reference)
        let body: JSONValue = ["status": status]
        let reply = try await send(.PATCH, path + "/status", query: [("fieldManager", fieldManager)], contentType: "application/merge-patch+json", body: Array(body.jsonText().utf8))
        return Self.object(try decode(reply))
    }

    public func watch(_ kind: ResourceKind, namespace: String?, options: WatchOptions) async throws
        -> AsyncThrowingStream<WatchEvent, any Error>
    {
        var query: [(String, String)] = [("watch", "1")]
        if let version = options.resourceVersion { query.append(("resourceVersion", version)) }
        if let selector = options.labelSelector { query.append(("labelSelector", selector)) }
        if let selector = options.fieldSelector { query.append(("fieldSelector", selector)) }
        if options.allowBookmarks { query.append(("allowWatchBookmarks", "true")) }
        if let timeout = options.timeoutSeconds { query.append(("timeoutSeconds", String(timeout))) }
        var request = HTTPClientRequest(url: configuration.server + kind.collectionPath(namespace: namespace) + Self.queryString(query))
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "sluice/1.0")
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        let response = try await client.execute(request, deadline: .distantFuture)
        guard response.status == .ok else {
            _ = try decode(Reply(status: Int(response.status.code), body: try await response.body.collect(upTo: 1 << 20), warnings: []))
            throw APIError(code: Int(response.status.code), reason: nil, message: "watch failed")
        }
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var lines = WatchLineSplitter()
                    for try await chunk in response.body {
                        for line in lines.append(Array(chunk.readableBytesView)) {
                            continuation.yield(try Self.watchEvent(line))
                        }
                    }
                    if let line = lines.finish() { continuation.yield(try Self.watchEvent(line)) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// One line of a watch body as an event; an ERROR event throws its Status (410 Gone: re-list).
    static func watchEvent(_ line: [UInt8]) throws -> WatchEvent {
        let value = try JSONParser.parse(line)
        let object = value["object"] ?? .null
        switch value["type"]?.stringValue {
        case "ADDED": return .added(Self.object(object))
        case "MODIFIED": return .modified(Self.object(object))
        case "DELETED": return .deleted(Self.object(object))
        case "BOOKMARK": return .bookmark(resourceVersion: object["metadata"]?["resourceVersion"]?.stringValue ?? "")
        case "ERROR":
            throw APIError(status: object, httpStatus: object["code"]?.integerValue.map(Int.init) ?? 500)
                ?? APIError(code: 500, reason: nil, message: object.jsonText())
        default:
            throw APIError(code: 500, reason: nil, message: "unknown watch event type in \(value.jsonText())")
        }
    }
}

/// Splits a streamed body into lines whatever the chunk boundaries: a line may arrive in pieces
/// and a chunk may hold several lines.
struct WatchLineSplitter {
    private var pending: [UInt8] = []

    mutating func append(_ bytes: [UInt8]) -> [[UInt8]] {
        pending.append(contentsOf: bytes)
        var lines: [[UInt8]] = []
        var start = 0
        for index in pending.indices where pending[index] == 0x0A {
            if index > start { lines.append(Array(pending[start..<index])) }
            start = index + 1
        }
        pending.removeFirst(start)
        return lines
    }

    /// The last line, when the body did not end with a newline.
    mutating func finish() -> [UInt8]? {
        defer { pending = [] }
        return pending.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) ? nil : pending
    }
}

/// Kinds already discovered, by apiVersion and kind.
actor DiscoveryCache {
    private var kinds: [String: ResourceKind] = [:]

    func kind(apiVersion: String, kind: String) -> ResourceKind? { kinds["\(apiVersion)/\(kind)"] }

    func remember(_ found: [ResourceKind]) {
        for kind in found { kinds["\(kind.apiVersion)/\(kind.kind)"] = kind }
    }
}
