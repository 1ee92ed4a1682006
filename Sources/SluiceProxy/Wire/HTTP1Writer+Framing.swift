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

    /// `HTTPRequestEncoder`'s rules for a request head: no framing fields for TRACE; with a
    /// Content-Length, no Transfer-Encoding; POST, PUT and PATCH without one are sent chunked; other
    /// methods keep a `transfer-encoding: chunked` they came with. `headers` changes only when a
    /// field has to go, so unchanged headers are never copied.
    static func requestFraming(method: HTTPMethod, headers: inout HTTPHeaders) -> Framing {
        switch method {
        case .TRACE:
            removeIfPresent("content-length", from: &headers)
            removeIfPresent("transfer-encoding", from: &headers)
            return Framing(chunked: false, replacesTransferEncoding: false)
        case .POST, .PUT, .PATCH:
            return lengthOrChunked(&headers)
        default:
            if headers.contains(name: "content-length") {
                removeIfPresent("transfer-encoding", from: &headers)
                return Framing(chunked: false, replacesTransferEncoding: false)
            }
            return Framing(chunked: headers.first(name: "transfer-encoding") == "chunked", replacesTransferEncoding: false)
        }
    }

    /// `HTTPResponseEncoder`'s rules for a response head (HTTP/1.1): no framing fields where no
    /// body may follow (1xx, 204, 304, and any answer to CONNECT); with a Content-Length, no
    /// Transfer-Encoding; otherwise chunked. An answer to HEAD keeps the fields a GET would get
    /// but carries no body: `bodyless`, and then not `chunked` on the wire.
    static func responseFraming(
        status: HTTPResponseStatus, requestMethod: HTTPMethod, headers: inout HTTPHeaders
    ) -> (framing: Framing, bodyless: Bool) {
        let bodyless = requestMethod == .HEAD || requestMethod == .CONNECT
        if requestMethod == .CONNECT || !status.mayHaveResponseBody {
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
