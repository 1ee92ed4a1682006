import NIOConcurrencyHelpers
import NIOSSL
import Synchronization

/// A RouteTable with what serving it needs: statistics per backend and TLS contexts per listener.
final class InstalledTable: Sendable {
    let table: RouteTable
    /// Per `ResolvedBackend.slot` of this table.
    private let statsBySlot: [BackendStats]
    /// Per TLS socket: listener hostname (nil: any) and its context, most specific first.
    let tlsContexts: [ListenerSocket: [(hostname: Hostname?, context: NIOSSLContext)]]

    /// `contexts` caches TLS contexts by certificate across reloads: building one parses the key and
    /// chain, which is the slowest part of a reload.
    init(table: RouteTable, stats: ProxyStats, contexts: inout [TLSCertificate: NIOSSLContext]) throws {
        self.table = table
        self.statsBySlot = table.slottedBackends.map { stats.backend($0) }
        var bySocket: [ListenerSocket: [(hostname: Hostname?, context: NIOSSLContext)]] = [:]
        for (socket, portTable) in table.sockets where portTable.isTLS {
            var list: [(hostname: Hostname?, context: NIOSSLContext)] = []
            for listener in portTable.listeners {
                guard let certificate = listener.certificate else { continue }
                if let cached = contexts[certificate] {
                    list.append((listener.hostname, cached))
                    continue
                }
                let chain = try NIOSSLCertificate.fromPEMBytes(certificate.certificatePEM).map { NIOSSLCertificateSource.certificate($0) }
                let key = try NIOSSLPrivateKey(bytes: certificate.keyPEM, format: .pem)
                var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
                configuration.applicationProtocols = ["h2", "http/1.1"]
                let context = try NIOSSLContext(configuration: configuration)
                contexts[certificate] = context
                list.append((listener.hostname, context))
            }
            bySocket[socket] = list
        }
        self.tlsContexts = bySocket
    }

    /// The statistics of one of this table's backends (found by key if it was made without a slot,
    /// outside `RouteCompiler`; a slot is only ever given by the compiler of this table).
    func stats(of backend: ResolvedBackend) -> BackendStats? {
        guard let slot = backend.slot else { return table.slottedBackends.firstIndex(of: backend.key).map { statsBySlot[$0] } }
        return slot < statsBySlot.count ? statsBySlot[slot] : nil
    }

    /// The context for a TLS server name: the most specific listener that matches, else the first.
    func tlsContext(socket: ListenerSocket, serverName: String?) -> NIOSSLContext? {
        guard let list = tlsContexts[socket], !list.isEmpty else { return nil }
        if let serverName = serverName?.lowercased() {
            if let match = list.first(where: { $0.hostname?.matches(host: serverName) ?? true }) { return match.context }
        }
        return list.first { $0.hostname == nil }?.context ?? list[0].context
    }
}

/// The current table, read once per request and replaced whole on reload.
final class TableBox: Sendable {
    /// A table read with its generation, kept by a reader between requests.
    typealias Reading = (generation: Int, table: InstalledTable)

    private let box: NIOLockedValueBox<Reading>
    /// The generation of the table in `box`, stored after the table: a reader that still sees the
    /// generation it read last keeps its table without taking the lock (a lock and an unlock on
    /// every request otherwise).
    private let generation = Atomic(0)

    init(_ table: InstalledTable) { box = NIOLockedValueBox((0, table)) }

    var current: InstalledTable { box.withLockedValue { $0.table } }

    /// The current table, by way of `last` (the caller's previous reading, updated).
    func current(after last: inout Reading?) -> InstalledTable {
        let latest = generation.load(ordering: .acquiring)
        if let last, last.generation == latest { return last.table }
        let reading = box.withLockedValue { $0 }
        last = reading
        return reading.table
    }

    func replace(with table: InstalledTable) {
        box.withLockedValue {
            $0 = ($0.generation + 1, table)
            generation.store($0.generation, ordering: .releasing)
        }
    }
}
