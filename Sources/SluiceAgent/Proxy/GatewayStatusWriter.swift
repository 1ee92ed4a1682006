import Logging
import SluiceKube
import SluiceModel

/// Writes the statuses the route compiler computes (Accepted, Programmed, ResolvedRefs...) to the
/// GatewayClasses, Gateways and HTTPRoutes, as a Gateway API implementation must. A status is
/// written only when it changed apart from its timestamps, so a write never sets off another.
public actor GatewayStatusWriter {
    public static let fieldManager = "sluice-gateway-controller"

    private let cluster: any Cluster
    private let logger: Logger
    private var written: [ObjectReference: JSONValue] = [:]

    public init(cluster: any Cluster, logger: Logger) {
        self.cluster = cluster
        self.logger = logger
    }

    /// Writes each status that differs from the last one written.
    public func write(_ statuses: [ObjectReference: JSONValue]) async {
        for (reference, status) in statuses.sorted(by: { $0.key < $1.key }) {
            let comparable = Self.withoutTimestamps(status)
            guard written[reference] != comparable else { continue }
            do {
                _ = try await cluster.patchStatus(reference, status: status, fieldManager: Self.fieldManager)
                written[reference] = comparable
            } catch let error as APIError where error.code == 404 {
                written[reference] = nil
            } catch {
                logger.warning("cannot write the status of \(reference): \(error)")
            }
        }
        for reference in written.keys where statuses[reference] == nil { written[reference] = nil }
    }

    /// `status` without `lastTransitionTime` values, which change on every compilation.
    static func withoutTimestamps(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(var members):
            members["lastTransitionTime"] = nil
            for (key, member) in members { members[key] = withoutTimestamps(member) }
            return .object(members)
        case .array(let items):
            return .array(items.map(withoutTimestamps))
        default:
            return value
        }
    }
}
