import Foundation
import SluiceModel

/// The spec of a `coordination.k8s.io/v1` Lease, as leader election reads and writes it.
public struct LeaseRecord: Sendable, Hashable {
    public var holderIdentity: String?
    public var leaseDurationSeconds: Int
    /// MicroTime strings, as the API server stores them (`2026-11-29T03:40:00.123456Z`).
    public var acquireTime: String?
    public var renewTime: String?
    public var leaseTransitions: Int

    public init(
        holderIdentity: String?, leaseDurationSeconds: Int, acquireTime: String?, renewTime: String?, leaseTransitions: Int
    ) {
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.acquireTime = acquireTime
        self.renewTime = renewTime
        self.leaseTransitions = leaseTransitions
    }

    /// Reads the spec of a Lease object (missing fields as the API server leaves them: absent).
    public init(lease: Object) {
        holderIdentity = lease[FieldPath(parsing: "spec.holderIdentity")]?.stringValue
        leaseDurationSeconds = lease[FieldPath(parsing: "spec.leaseDurationSeconds")]?.integerValue.map(Int.init) ?? 0
        acquireTime = lease[FieldPath(parsing: "spec.acquireTime")]?.stringValue
        renewTime = lease[FieldPath(parsing: "spec.renewTime")]?.stringValue
        leaseTransitions = lease[FieldPath(parsing: "spec.leaseTransitions")]?.integerValue.map(Int.init) ?? 0
    }

    /// The `spec` to write.
    public var spec: JSONValue {
        var spec: JSONValue = ["leaseDurationSeconds": .integer(Int64(leaseDurationSeconds)), "leaseTransitions": .integer(Int64(leaseTransitions))]
        if case .object(var members) = spec {
            if let holderIdentity { members["holderIdentity"] = .string(holderIdentity) }
            if let acquireTime { members["acquireTime"] = .string(acquireTime) }
            if let renewTime { members["renewTime"] = .string(renewTime) }
            spec = .object(members)
        }
        return spec
    }

    /// A date as a Kubernetes MicroTime: RFC 3339 in UTC with six fractional digits.
    public static func microTime(_ date: Date) -> String { KubernetesTime.microTime(date) }
}
