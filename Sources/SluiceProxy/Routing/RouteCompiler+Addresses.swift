import NIOCore
import SluiceModel

extension RouteCompiler {
    /// Which addresses Gateways are served at.
    public struct Addressing: Sendable, Hashable {
        /// The proxy's bind address, which status reports for the Gateways that share it; nil when
        /// the proxy binds a wildcard address and so has no one address to report.
        public var sharedAddress: String?
        /// Addresses handed out one per Gateway that names none (`--gateway-address-pool`), so
        /// that each has sockets of its own: two Gateways with the same listener then serve their
        /// own routes, as the spec asks. Empty: such Gateways share the bind address.
        public var pool: [String]

        public init(sharedAddress: String? = nil, pool: [String] = []) {
            self.sharedAddress = sharedAddress
            self.pool = pool
        }

        /// The addresses of `--gateway-address-pool`: comma-separated IP addresses and IPv4
        /// CIDR blocks (`127.0.1.0/24` gives its 254 host addresses), in the order given.
        public static func pool(parsing text: String) throws(AddressPoolError) -> [String] {
            var addresses: [String] = []
            for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
                if let slash = item.firstIndex(of: "/") {
                    guard let block = IPv4Block(address: String(item[..<slash]), prefix: Int(item[item.index(after: slash)...])) else {
                        throw AddressPoolError(item: item, reason: "an IPv4 CIDR block from /16 to /32 is expected")
                    }
                    addresses += block.hostAddresses
                } else {
                    guard let address = Self.normalized(item) else { throw AddressPoolError(item: item, reason: "not an IP address") }
                    addresses.append(address)
                }
            }
            var seen: Set<String> = []
            return addresses.filter { seen.insert($0).inserted }
        }

        /// An IP address as the proxy writes it (`::1` for `0:0::1`); nil when `text` is not one.
        static func normalized(_ text: String) -> String? {
            guard let address = try? SocketAddress(ipAddress: text, port: 0) else { return nil }
            return address.ipAddress
        }
    }

    /// A `--gateway-address-pool` item that is neither an IP address nor a CIDR block.
    public struct AddressPoolError: Error, CustomStringConvertible {
        public var item: String
        public var reason: String
        public var description: String { "gateway address pool item \"\(item)\": \(reason)" }
    }
}

/// An IPv4 CIDR block small enough to hand out address by address.
private struct IPv4Block {
    let network: UInt32
    let prefix: Int

    init?(address: String, prefix: Int?) {
        guard let prefix, (16...32).contains(prefix), let normalized = RouteCompiler.Addressing.normalized(address) else { return nil }
        let octets = normalized.split(separator: ".").compactMap { UInt32($0) }
        guard octets.count == 4 else { return nil }
        let value = octets.reduce(UInt32(0)) { $0 << 8 | $1 }
        let mask: UInt32 = prefix == 32 ? .max : ~(UInt32.max >> UInt32(prefix))
        self.network = value & mask
        self.prefix = prefix
    }

    /// Every address of the block but its network and broadcast addresses (/31 and /32 have neither).
    var hostAddresses: [String] {
        let size = UInt32(1) << UInt32(32 - prefix)
        let range: Range<UInt32> = size <= 2 ? 0..<size : 1..<(size - 1)
        return range.map { offset in
            let value = network + offset
            return [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xFF) }.joined(separator: ".")
        }
    }
}

/// Where one Gateway is served, or why it is not.
enum GatewayPlacement: Sendable {
    /// At the proxy's bind address, with every other Gateway that has no address of its own.
    case shared
    /// At these addresses only.
    case own([String])
    /// `spec.addresses` asks for what the proxy cannot do: Accepted is False (UnsupportedAddress).
    case unsupported(String)
    /// No address was left to hand out: Programmed is False (AddressNotAssigned).
    case notAssigned(String)

    var addresses: [String?] {
        switch self {
        case .shared: [nil]
        case .own(let addresses): addresses
        case .unsupported, .notAssigned: []
        }
    }
}

extension CompilationState {
    /// Places each Gateway: at the addresses its `spec.addresses` names, else at one from the
    /// pool, else at the shared bind address. A pool address a Gateway's status already shows is
    /// kept while it is free, so a Gateway keeps its address across restarts and other Gateways
    /// coming and going; the rest are handed out in order, Gateways taken by namespace and name.
    mutating func placeGateways(_ gateways: [Gateway]) {
        var claimed: Set<String> = []
        var waiting: [(key: String, gateway: Gateway)] = []
        for gateway in gateways {
            let key = Self.gatewayKey(gateway)
            let requested = gateway.spec.addresses ?? []
            var values: [String] = []
            var problem: String?
            for (index, address) in requested.enumerated() {
                let type = address.type ?? "IPAddress"
                guard type == "IPAddress" else {
                    problem = "spec.addresses[\(index)]: type \(type) is not supported; only IPAddress is"
                    break
                }
                // An address with no value asks for any address; one is handed out below.
                guard let value = address.value, !value.isEmpty else { continue }
                guard let normalized = RouteCompiler.Addressing.normalized(value) else {
                    problem = "spec.addresses[\(index)]: \(value) is not an IP address"
                    break
                }
                if !values.contains(normalized) { values.append(normalized) }
            }
            if let problem {
                placements[key] = .unsupported(problem)
            } else if !values.isEmpty {
                placements[key] = .own(values)
                claimed.formUnion(values)
            } else if addressing.pool.isEmpty {
                placements[key] = .shared
            } else {
                waiting.append((key, gateway))
            }
        }
        waiting.sort { $0.key < $1.key }
        let pool = Set(addressing.pool)
        var unplaced: [String] = []
        for (key, gateway) in waiting {
            let shown = (gateway.status?.addresses ?? []).compactMap(\.value)
            if let kept = shown.first(where: { pool.contains($0) && !claimed.contains($0) }) {
                placements[key] = .own([kept])
                claimed.insert(kept)
            } else {
                unplaced.append(key)
            }
        }
        var free = addressing.pool.filter { !claimed.contains($0) }[...]
        for key in unplaced {
            if let address = free.popFirst() {
                placements[key] = .own([address])
            } else {
                placements[key] = .notAssigned("all \(addressing.pool.count) addresses of the gateway address pool are in use")
            }
        }
    }

    /// What a Gateway's status shows as its addresses.
    func statusAddresses(of key: String) -> [GatewayAddress]? {
        let values: [String]
        switch placements[key] ?? .shared {
        case .shared: values = addressing.sharedAddress.map { [$0] } ?? []
        case .own(let own): values = own
        case .unsupported, .notAssigned: values = []
        }
        return values.isEmpty ? nil : values.map { GatewayAddress(type: "IPAddress", value: $0) }
    }

    static func gatewayKey(_ gateway: Gateway) -> String {
        "\(gateway.metadata.namespace ?? "default")/\(gateway.metadata.name)"
    }
}
