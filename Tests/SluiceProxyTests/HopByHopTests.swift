import NIOHTTP1
import Testing

@testable import SluiceProxy

/// Hop-by-hop header removal on its own: the names RFC 9110 7.6.1 lists, in any case, and the
/// names a `Connection` header lists, go; everything else stays, in order.
@Suite("Hop-by-hop headers")
struct HopByHopTests {
    @Test("hop-by-hop names in any case and the names Connection lists are removed; the rest stay in order")
    func removesHopByHop() {
        var headers = HTTPHeaders([
            ("Host", "a.test"), ("CONNECTION", "close, X-Private ,keep-alive"), ("Keep-Alive", "timeout=5"),
            ("x-private", "1"), ("TE", "trailers"), ("Trailer", "x"), ("Upgrade", "websocket"),
            ("Proxy-Connection", "keep-alive"), ("Transfer-Encoding", "chunked"), ("X-Kept", "2"),
            ("Connections", "not hop-by-hop"), ("T", "short"),
        ])
        RequestRewriting.removeHopByHop(&headers)
        #expect(headers.map(\.name) == ["Host", "Transfer-Encoding", "X-Kept", "Connections", "T"])
        RequestRewriting.removeHopByHop(&headers, keepTransferEncoding: false)
        #expect(headers.map(\.name) == ["Host", "X-Kept", "Connections", "T"])
    }

    @Test("headers without hop-by-hop names are left as they are")
    func leavesOthers() {
        let original = HTTPHeaders([("Host", "a.test"), ("Content-Length", "3"), ("X-Upgrade-Path", "/"), ("tee", "x")])
        var headers = original
        RequestRewriting.removeHopByHop(&headers)
        #expect(headers.map { "\($0.name): \($0.value)" } == original.map { "\($0.name): \($0.value)" })
    }

    @Test("the lookup matches exactly the six names, case-insensitively")
    func lookup() {
        for (index, name) in RequestRewriting.hopByHop.enumerated() {
            #expect(RequestRewriting.hopByHopIndex(name) == index)
            #expect(RequestRewriting.hopByHopIndex(name.uppercased()) == index)
        }
        for name in ["", "t", "tE2", "trailers", "upgradE-", "connectio", "keep_alive", "proxy-connectionx", "x-connection"] {
            #expect(RequestRewriting.hopByHopIndex(name) == nil, "\(name)")
        }
    }
}
