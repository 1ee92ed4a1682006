import NIOCore
import NIOHTTP1

/// Sends copies of requests to mirror backends; their answers are read and dropped.
struct MirrorSender {
    let pool: UpstreamPool

    func send(_ parts: [HTTPClientRequestPart], to backend: ResolvedBackend, random: inout SplitMix64) {
        guard !backend.endpoints.isEmpty else { return }
        let endpoint = backend.endpoints[Int(random.next() % UInt64(backend.endpoints.count))]
        let pool = self.pool
        pool.acquire(endpoint).assumeIsolated().whenSuccess { connection in
            let sink = MirrorSink(pool: pool, connection: connection)
            // The handler holds the sink until the answer ends or the connection fails.
            connection.handler.delegate = sink
            connection.send(parts)
        }
    }
}

/// Reads a mirror's answer to its end, then returns the connection.
final class MirrorSink: UpstreamDelegate {
    let pool: UpstreamPool
    let connection: UpstreamConnection
    private var keepAlive = true

    init(pool: UpstreamPool, connection: UpstreamConnection) {
        self.pool = pool
        self.connection = connection
    }

    func upstreamReceived(_ part: UpstreamResponsePart) {
        switch part {
        case .head(let head): keepAlive = head.keepAlive
        case .body, .tunnel: break
        case .end:
            connection.handler.delegate = nil
            if keepAlive { pool.release(connection) } else { connection.channel.close(promise: nil) }
        }
    }

    func upstreamFailed(_ error: any Error) {}

    func upstreamReadComplete() {}

    func upstreamWritabilityChanged(_ isWritable: Bool) {}
}
