extension ProxyConfiguration {
    /// HTTP/2 downstream settings. The request limits (`Limits`) apply to every stream as they do to
    /// an HTTP/1.1 request; these bound the connection itself.
    public struct HTTP2: Sendable {
        /// Streams a client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS); more are refused
        /// with RST_STREAM REFUSED_STREAM.
        public var maxConcurrentStreams: Int = 100
        /// Headers per stream beyond `Limits.maxHeaderBytes` up to this many bytes are answered 431;
        /// a header list larger still is refused by the HTTP/2 layer (SETTINGS_MAX_HEADER_LIST_SIZE),
        /// which ends the connection. Nil: twice `Limits.maxHeaderBytes`.
        public var maxHeaderListSize: Int?

        public init(maxConcurrentStreams: Int = 100, maxHeaderListSize: Int? = nil) {
            self.maxConcurrentStreams = maxConcurrentStreams
            self.maxHeaderListSize = maxHeaderListSize
        }
    }
}
