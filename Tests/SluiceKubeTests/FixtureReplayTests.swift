import Foundation
import SluiceModel
import Testing

@testable import SluiceKube

/// Every recording of a real kube-apiserver v1.36 (`../shared/fixtures/kube-apiserver/`) replayed
/// against EmbeddedCluster over HTTPS: the same status code and the same body, modulo the
/// placeholders the fixtures' README names. The recordings ran in order on one cluster, so each
/// test replays the earlier files first (unchecked) to reach the state its own file starts from.
@Suite(.serialized)
struct FixtureReplayTests {
    @Test func setupNamespaceAndGateway() async throws { try await replay("00-setup-namespace-and-gateway.json") }
    @Test func ssaCreate() async throws { try await replay("01-ssa-create-httproute.json") }
    @Test func ssaNoopReapply() async throws { try await replay("02-ssa-noop-reapply.json") }
    @Test func ssaRemoveField() async throws { try await replay("03-ssa-remove-field.json") }
    @Test func ssaSecondManagerConflictAndForce() async throws { try await replay("04-ssa-second-manager-conflict-and-force.json") }
    @Test func ssaFirstManagerConflict() async throws { try await replay("05-ssa-first-manager-conflict.json") }
    @Test func ssaDryRun() async throws { try await replay("06-ssa-dry-run.json") }
    @Test func crdValidationErrors() async throws { try await replay("07-crd-validation-errors.json") }
    @Test func notFoundErrors() async throws { try await replay("08-not-found-errors.json") }
    @Test func listAndWatch() async throws { try await replay("09-list-and-watch.json") }
    @Test func statusSubresource() async throws { try await replay("10-status-subresource.json") }
    @Test func staleResourceVersion() async throws { try await replay("11-ssa-stale-resourceversion.json") }
    @Test func deleteForegroundAndPreconditions() async throws { try await replay("12-delete-foreground-and-preconditions.json") }
    @Test func applyRequestErrors() async throws { try await replay("13-apply-request-errors.json") }
    @Test func unknownFieldsAndFieldValidation() async throws { try await replay("14-unknown-fields-field-validation.json") }

    @Test func everyFixtureHasATest() {
        #expect(SharedData.fixtureNames.count == 15)
    }

    func replay(_ name: String) async throws {
        // As the recording cluster: no kube-controller-manager, so no garbage collector.
        let server = try await TestServer(now: TestServer.tickingClock(), garbageCollector: false)
        do {
            for earlier in SharedData.fixtureNames where earlier < name {
                try await run(earlier, on: server, check: false)
            }
            try await run(name, on: server, check: true)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// The real value a request placeholder stood for, per step (README: the stale version in
    /// 11.2 and 12.10 was older than the stored one; 09.4 watches from the list's version).
    enum Fill { case current, stale, listVersion }
    static let fills: [String: Fill] = ["09.4": .listVersion, "11.2": .stale, "11.3": .current, "12.10": .stale, "12.11": .current]

    func run(_ name: String, on server: TestServer, check: Bool) async throws {
        let fixture = try JSONParser.parse(try SharedData.fixtureText(name))
        var lastListVersion = ""
        var versions: [String: String] = [:]
        var watch: (step: String, expected: [JSONValue], task: Task<[String], any Error>)?
        for step in fixture["steps"]?.arrayValue ?? [] {
            let id = step["step"]?.stringValue ?? "?"
            let request = step["request"] ?? [:]
            var path = request["path"]?.stringValue ?? ""
            var body = request["body"]?.stringValue
            if path.contains("<rv>") || body?.contains("<rv>") == true || body?.contains("<uid>") == true {
                let objectPath = String(path.split(separator: "?")[0])
                let current = try await server.send(method: "GET", path: objectPath, contentType: nil, body: nil)
                let live = try? JSONParser.parse(current.text)
                let uid = live?["metadata"]?["uid"]?.stringValue ?? ""
                let version = live?["metadata"]?["resourceVersion"]?.stringValue ?? ""
                let rv: String
                switch Self.fills[id] ?? .current {
                case .current: rv = version
                case .stale: rv = "1"
                case .listVersion: rv = lastListVersion
                }
                path = path.replacingOccurrences(of: "<rv>", with: rv)
                body = body?.replacingOccurrences(of: "<rv>", with: rv).replacingOccurrences(of: "<uid>", with: uid)
            }
            let response = step["response"] ?? [:]
            if let events = response["events"]?.arrayValue {
                let lines = events.count
                let watchPath = path
                watch = (id, events, Task { try await server.streamLines(path: watchPath, count: lines) })
                try await Task.sleep(for: .milliseconds(300))
                continue
            }
            let reply = try await server.send(
                method: request["method"]?.stringValue ?? "GET", path: path, contentType: request["contentType"]?.stringValue, body: body)
            if let actual = try? JSONParser.parse(reply.text), actual["kind"]?.stringValue?.hasSuffix("List") == true {
                lastListVersion = actual["metadata"]?["resourceVersion"]?.stringValue ?? ""
            }
            guard check else { continue }
            if let observed = step["observed"]?["resourceVersion"]?.stringValue, let actual = try? JSONParser.parse(reply.text),
                let version = actual["metadata"]?["resourceVersion"]?.stringValue
            {
                // The README's tokens: the same rv#N within a file means the same real value.
                if let earlier = versions[observed] {
                    #expect(earlier == version, "step \(id): \(observed) was \(earlier), now \(version)")
                } else {
                    #expect(!versions.values.contains(version), "step \(id): \(observed) should be a new resourceVersion")
                    versions[observed] = version
                }
            }
            #expect(reply.status == Int(response["status"]?.integerValue ?? 0), "step \(id): status")
            let expectedWarnings = (response["headers"]?["Warning"]?.arrayValue ?? []).compactMap(\.stringValue)
            #expect(reply.warnings == expectedWarnings, "step \(id): Warning headers")
            let expectedType = response["headers"]?["Content-Type"]?.stringValue ?? ""
            #expect(reply.contentType == expectedType, "step \(id): Content-Type")
            let expectedBody = response["body"] ?? .null
            if case .string(let text) = expectedBody {
                #expect(reply.text == text, "step \(id): plain-text body")
            } else if path == "/version" {
                // The build's identity (commit, dates, Go version) is no behaviour to copy:
                // the same members, and the Kubernetes version the API answers as.
                let actual = try JSONParser.parse(reply.text)
                #expect(Set(actual.objectValue?.keys.map { $0 } ?? []) == Set(expectedBody.objectValue?.keys.map { $0 } ?? []))
                #expect(actual["major"] == expectedBody["major"] && actual["minor"] == expectedBody["minor"])
            } else {
                let actual = Placeholders.normalize(try JSONParser.parse(reply.text))
                #expect(actual == expectedBody, "step \(id): body\n\(Placeholders.difference(actual, expectedBody))")
            }
        }
        if let watch {
            let lines = try await watch.task.value
            guard check else { return }
            let actual = try lines.map { Placeholders.normalize(try JSONParser.parse($0)) }
            #expect(actual == watch.expected, "step \(watch.step): watch events")
        }
    }
}

/// The README's placeholders applied to a real answer: uids, resourceVersions and server-made
/// timestamps, also where messages quote them.
enum Placeholders {
    static let keptTimes: Set<String> = ["2025-01-01T00:00:00Z", "1970-01-01T00:00:00Z"]
    static let keptUIDs: Set<String> = ["11111111-2222-3333-4444-555555555555"]

    static func normalize(_ value: JSONValue, key: String? = nil) -> JSONValue {
        switch value {
        case .object(let members):
            var result = members
            for (name, member) in members { result[name] = normalize(member, key: name) }
            return .object(result)
        case .array(let items):
            return .array(items.map { normalize($0, key: key) })
        case .string(let text):
            switch key {
            case "uid" where !keptUIDs.contains(text): return "<uid>"
            case "resourceVersion": return "<rv>"
            case "creationTimestamp", "deletionTimestamp", "time", "buildDate": return keptTimes.contains(text) ? value : "<time>"
            case "message": return .string(normalizeMessage(text))
            default: return value
            }
        default:
            return value
        }
    }

    static func normalizeMessage(_ text: String) -> String {
        var result = text
        let uuid = #"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"#
        result = replace(uuid, in: result) { keptUIDs.contains($0) ? $0 : "<uid>" }
        result = replace(#"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"#, in: result) { keptTimes.contains($0) ? $0 : "<time>" }
        result = replace(#"ResourceVersion in (the precondition|record) \(\d+\)"#, in: result) {
            $0.replacingOccurrences(of: #"\(\d+\)"#, with: "(<rv>)", options: .regularExpression)
        }
        result = replace(#"resourceVersion\\":\\"\d+\\""#, in: result) { _ in #"resourceVersion\":\"<rv>\""# }
        return result
    }

    static func replace(_ pattern: String, in text: String, with transform: (String) -> String) -> String {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return text }
        var result = ""
        var last = text.startIndex
        for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            guard let range = Range(match.range, in: text) else { continue }
            result += text[last..<range.lowerBound] + transform(String(text[range]))
            last = range.upperBound
        }
        return result + text[last...]
    }

    /// Where two values first differ, for failure messages.
    static func difference(_ actual: JSONValue, _ expected: JSONValue, at path: String = "") -> String {
        switch (actual, expected) {
        case (.object(let a), .object(let e)):
            if Array(a.keys) != Array(e.keys) { return "\(path): keys \(Array(a.keys)) vs expected \(Array(e.keys))" }
            for key in e.keys where a[key] != e[key] { return difference(a[key]!, e[key]!, at: path + "." + key) }
        case (.array(let a), .array(let e)):
            if a.count != e.count { return "\(path): \(a.count) items vs expected \(e.count)" }
            for index in e.indices where a[index] != e[index] { return difference(a[index], e[index], at: path + "[\(index)]") }
        default:
            return "\(path): \(actual.jsonText()) vs expected \(expected.jsonText())"
        }
        return "\(path): equal"
    }
}
