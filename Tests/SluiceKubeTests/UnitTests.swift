import Foundation
import SluiceModel
import Testing

@testable import SluiceKube

@Suite struct FieldSetTests {
    @Test func fieldsV1RoundTrip() throws {
        let text = #"{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:listeners":{"k:{\"name\":\"http\"}":{".":{},"f:name":{},"f:port":{}}}}}"#
        let value = try JSONParser.parse(text)
        let set = try #require(FieldSet(fieldsV1: value))
        #expect(set.fieldsV1 == value)
        #expect(set.paths.map(\.pathText).contains(#".spec.listeners[name="http"].port"#))
    }

    @Test func listMapItemsAreKeyedBySortedKeys() {
        let schema = StructuralSchema([
            "type": "object",
            "properties": ["ports": [
                "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["protocol", "port"],
                "items": ["type": "object", "properties": ["port": ["type": "integer"], "protocol": ["type": "string"], "name": ["type": "string"]]],
            ]],
        ])
        let value: JSONValue = ["ports": [["name": "http", "port": 80, "protocol": "TCP"]]]
        let set = StructuredMerge.fieldSet(of: value, schema: schema)
        #expect(set.fieldsV1.jsonText() == #"{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:name":{},"f:port":{},"f:protocol":{}}}}"#)
        // Merging an applied item with the same keys updates it in place; a new key appends.
        let merged = StructuredMerge.merge(value, ["ports": [["name": "web", "port": 80, "protocol": "TCP"], ["port": 443, "protocol": "TCP"]]], schema: schema)
        #expect(merged["ports"]?.arrayValue?.count == 2)
        #expect(merged["ports"]?.arrayValue?.first?["name"]?.stringValue == "web")
    }

    @Test func removingOwnedFields() {
        var set = FieldSet()
        set.insert([.field("spec"), .field("timeouts")])
        let value: JSONValue = ["spec": ["timeouts": ["request": "10s"], "hostnames": ["a"]]]
        #expect(StructuredMerge.removing(set, from: value, schema: nil) == ["spec": ["hostnames": ["a"]]])
    }
}

@Suite struct WatchLineTests {
    @Test func linesSplitAcrossChunks() {
        var splitter = WatchLineSplitter()
        #expect(splitter.append(Array(#"{"type":"ADD"#.utf8)).isEmpty)
        let lines = splitter.append(Array("ED\"}\n{\"a\":1}\n{\"b\"".utf8))
        #expect(lines.map { String(decoding: $0, as: UTF8.self) } == [#"{"type":"ADDED"}"#, #"{"a":1}"#])
        #expect(splitter.finish().map { String(decoding: $0, as: UTF8.self) } == #"{"b""#)
    }

    @Test func bookmarkAndGone() throws {
        let bookmark = try KubeCluster.watchEvent(Array(#"{"type":"BOOKMARK","object":{"kind":"HTTPRoute","metadata":{"resourceVersion":"42"}}}"#.utf8))
        #expect(bookmark == .bookmark(resourceVersion: "42"))
        #expect {
            _ = try KubeCluster.watchEvent(Array(#"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}}"#.utf8))
        } throws: { ($0 as? APIError)?.code == 410 }
    }
}

@Suite struct KubeconfigTests {
    @Test func severalFilesFirstValueWins() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubeconfig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = """
            current-context: work
            contexts:
            - name: work
              context: {cluster: c1, user: u1, namespace: team}
            """
        let second = """
            current-context: other
            clusters:
            - name: c1
              cluster: {server: "https://10.0.0.1:6443", certificate-authority: ca.pem}
            users:
            - name: u1
              user: {token: secret}
            """
        try first.write(to: directory.appendingPathComponent("a"), atomically: true, encoding: .utf8)
        try second.write(to: directory.appendingPathComponent("b"), atomically: true, encoding: .utf8)
        try "PEM".write(to: directory.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
        let config = try Kubeconfig.load(environment: ["KUBECONFIG": directory.appendingPathComponent("a").path + ":" + directory.appendingPathComponent("b").path])
        #expect(config.server == "https://10.0.0.1:6443")
        #expect(config.token == "secret")
        #expect(config.namespace == "team")
        #expect(config.certificateAuthorityPEM == "PEM")
        #expect(config.insecureSkipTLSVerify == false)
    }

    @Test func inClusterServiceAccount() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "tok\n".write(to: directory.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        try "ns".write(to: directory.appendingPathComponent("namespace"), atomically: true, encoding: .utf8)
        let config = try #require(Kubeconfig.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"], directory: directory))
        #expect(config.server == "https://10.96.0.1:443" && config.token == "tok" && config.namespace == "ns")
    }
}

@Suite struct SelectorTests {
    @Test func labelSelectors() throws {
        let selector = try LabelSelector(parsing: "team=blue,tier in (web, api),!legacy")
        #expect(selector.matches(["team": "blue", "tier": "web"]))
        #expect(!selector.matches(["team": "blue", "tier": "db"]))
        #expect(!selector.matches(["team": "blue", "tier": "web", "legacy": "1"]))
    }
}

@Suite struct WriteAheadLogTests {
    /// A crash in the middle of a write leaves a torn record at the end: replay keeps every whole
    /// record before it and ignores the rest; a corrupted record stops the replay too.
    @Test func tornAndCorruptRecordsEndTheReplay() {
        let first = ObjectStore.Key(group: "", resource: "configmaps", namespace: "default", name: "a")
        let second = ObjectStore.Key(group: "", resource: "configmaps", namespace: "default", name: "b")
        let whole = WriteAheadLog.record(first, value: ["data": ["x": "1"]], resourceVersion: 7)
        let next = WriteAheadLog.record(second, value: ["data": ["y": "2"]], resourceVersion: 8)
        var contents = WriteAheadLog.Contents()
        WriteAheadLog.replay(whole + Array(next.dropLast(3)), into: &contents)
        #expect(contents.objects.keys.sorted() == [first] && contents.resourceVersion == 7)

        var corrupt = next
        corrupt[corrupt.count - 2] ^= 0xFF
        var afterCorruption = WriteAheadLog.Contents()
        WriteAheadLog.replay(whole + corrupt, into: &afterCorruption)
        #expect(afterCorruption.objects.keys.sorted() == [first])

        var both = WriteAheadLog.Contents()
        WriteAheadLog.replay(whole + next + WriteAheadLog.record(first, value: nil, resourceVersion: 9), into: &both)
        #expect(both.objects.keys.sorted() == [second] && both.resourceVersion == 9)
    }
}
