import NIOHTTP1

extension HTTP1Writer {
    /// How a message's body is delimited, decided as NIO's encoders decide it with their automatic
    /// framing headers on, so the bytes on the wire are what they were with the encoders.
    struct Framing {
        /// Body parts go as chunks, and the end as the last chunk.
        var chunked: Bool
        /// Every `transfer-encoding` field is left out and `transfer-encoding: chunked` added at the
        /// end (the encoders' `replaceOrAdd`).
        var replacesTransferEncoding: Bool
    }

    /// A request's framing upstream is the one it arrived with, whatever the method: a body the
    /// decoder read must reach the upstream delimited, or the upstream would read it as a next
    /// request on the pooled connection (request smuggling). With a Content-Length, that length
    /// (any Transfer-Encoding goes, as llhttp refuses both together anyway); with a
    /// Transfer-Encoding (llhttp only reads a request whose last coding is chunked, in any
    /// letter case), re-chunked under the client's codings. Without either there is no body:
    /// POST, PUT and PATCH are still sent chunked, as NIO's `HTTPRequestEncoder` sends them.
    /// (NIO's encoder rules dropped a GET's or a TRACE's body framing: not followed here.)
    /// `headers` changes only when a field has to go, so unchanged headers are never copied.
    static func requestFraming(method: HTTPMethod, headers: inout HTTPHeaders) -> Framing {
        if headers.contains(name: "content-length") {
            removeIfPresent("transfer-encoding", from: &headers)
            return Framing(chunked: false, replacesTransferEncoding: false)
        }
        if headers.contains(name: "transfer-encoding") {
            return Framing(chunked: true, replacesTransferEncoding: false)
        }
        switch method {
        case .POST, .PUT, .PATCH: return Framing(chunked: true, replacesTransferEncoding: true)
        default: return Framing(chunked: false, replacesTransferEncoding: false)
        }
    }

    /// Whether a request framed so carries its body upstream (a Content-Length or chunks).
    static func carriesBody(_ framing: Framing, headers: HTTPHeaders) -> Bool {
        framing.chunked || headers.contains(name: "content-length")
    }

    /// `HTTPResponseEncoder`'s rules for a response head (HTTP/1.1): no framing fields where no
    /// body may follow (1xx, 204, 304, and any answer to CONNECT); with a Content-Length, no
    /// Transfer-Encoding; otherwise chunked. An answer to HEAD keeps the fields a GET would get
    /// but carries no body: `bodyless`, and then not `chunked` on the wire.
    static func responseFraming(
        status: HTTPResponseStatus, requestMethod: HTTPMethod, headers: inout HTTPHeaders
    ) -> (framing: Framing, bodyless: Bool) {
        let bodyless = requestMethod.isHEAD || requestMethod.isCONNECT
        if requestMethod.isCONNECT || !status.mayHaveResponseBody {
            removeIfPresent("content-length", from: &headers)
            removeIfPresent("transfer-encoding", from: &headers)
            return (Framing(chunked: false, replacesTransferEncoding: false), bodyless)
        }
        var framing = lengthOrChunked(&headers)
        if bodyless { framing.chunked = false }
        return (framing, bodyless)
    }

    /// A body is framed by its Content-Length if it has one (any Transfer-Encoding goes), else chunked.
    private static func lengthOrChunked(_ headers: inout HTTPHeaders) -> Framing {
        if headers.contains(name: "content-length") {
            removeIfPresent("transfer-encoding", from: &headers)
            return Framing(chunked: false, replacesTransferEncoding: false)
        }
        // Already exactly `transfer-encoding: chunked`: replacing it with itself would only move it.
        var encodings = 0
        var onlyChunked = true
        for field in headers where isTransferEncoding(field.name) {
            encodings += 1
            onlyChunked = onlyChunked && field.value == "chunked"
        }
        return Framing(chunked: true, replacesTransferEncoding: !(encodings == 1 && onlyChunked))
    }

    /// `remove(name:)` copies the fields even when none matches.
    private static func removeIfPresent(_ name: String, from headers: inout HTTPHeaders) {
        if headers.contains(name: name) { headers.remove(name: name) }
    }
}
