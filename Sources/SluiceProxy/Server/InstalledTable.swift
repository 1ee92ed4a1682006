import NIOConcurrencyHelpers
import NIOSSL

/// A RouteTable with what serving it needs: statistics per backend and TLS contexts per listener.
final class InstalledTable: Sendable {
    let table: RouteTable
    let stats: [BackendKey: BackendStats]
    /// Per TLS port: listener hostname (nil: any) and its context, most specific first.
    let tlsContexts: [Int: [(hostname: Hostname?, context: NIOSSLContext)]]

    /// `contexts` caches TLS contexts by certificate across reloads: building one parses the key and
    /// chain, which is the slowest part of a reload.
    init(table: RouteTable, stats: ProxyStats, contexts: inout [TLSCertificate: NIOSSLContext]) throws {
        self.table = table
        var byKey: [BackendKey: BackendStats] = [:]
        for key in table.backends { byKey[key] = stats.backend(key) }
        self.stats = byKey
        var byPort: [Int: [(hostname: Hostname?, context: NIOSSLContext)]] = [:]
        for (port, portTable) in table.ports where portTable.isTLS {
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
            byPort[port] = list
        }
        self.tlsContexts = byPort
    }

    /// The context for a TLS server name: the most specific listener that matches, else the first.
    func tlsContext(port: Int, serverName: String?) -> NIOSSLContext? {
        guard let list = tlsContexts[port], !list.isEmpty else { return nil }
        if let serverName = serverName?.lowercased() {
            if let match = list.first(where: { $0.hostname?.matches(host: serverName) ?? true }) { return match.context }
        }
        return list.first { $0.hostname == nil }?.context ?? list[0].context
    }
}

/// The current table, read once per request and replaced whole on reload.
final class TableBox: Sendable {
    private let box: NIOLockedValueBox<InstalledTable>

    init(_ table: InstalledTable) { box = NIOLockedValueBox(table) }

    var current: InstalledTable { box.withLockedValue { $0 } }

    func replace(with table: InstalledTable) { box.withLockedValue { $0 = table } }
}
