import SluiceModel
import SluiceSync
import Testing

extension DriftReportTests {
    @Test("drift of a Secret's data names the field and shows <redacted> for both values; other fields keep theirs")
    func secretValuesAreRedacted() throws {
        let expected = try object("""
            apiVersion: v1
            kind: Secret
            metadata: {name: creds, namespace: demo, labels: {team: blue}}
            data: {password: c2VjcmV0LW9uZQ==}
            stringData: {token: plain-token-one}
            """)
        let live = try object("""
            apiVersion: v1
            kind: Secret
            metadata: {name: creds, namespace: demo, labels: {team: green}}
            data: {password: c2VjcmV0LXR3bw==, added: bmV3}
            stringData: {token: plain-token-two}
            """)
        let report = try #require(DriftReport.compare(expected: expected, live: live))
        let message = report.message
        for value in ["c2VjcmV0LW9uZQ==", "c2VjcmV0LXR3bw==", "bmV3", "plain-token-one", "plain-token-two"] {
            #expect(!message.contains(value), "\(message)")
        }
        #expect(message.contains("data.password: <redacted> → <redacted>"), "\(message)")
        #expect(message.contains("<none> → <redacted>"), "an added key still shows it was added: \(message)")
        #expect(message.contains("\"blue\" → \"green\""), "\(message)")
        // A ConfigMap's data is no secret.
        let configMap = try #require(DriftReport.compare(
            expected: try object("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: demo}\ndata: {a: one}"),
            live: try object("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: demo}\ndata: {a: two}")))
        #expect(configMap.message.contains("\"one\" → \"two\""))
    }
}
