import Foundation

/// Leader election on a Lease, as client-go's leaderelection does it, as a pure state machine:
/// the owner reads the Lease, asks `decide` what to do, carries out the returned write, and
/// reports how it went. Only the leader writes to the cluster; the others wait.
///
/// A Lease held by another identity counts as expired `leaseDuration` after this process last
/// saw it change, by this process's own clock: the times written in the Lease come from another
/// machine's clock and are not compared with ours (client-go does the same, for the same reason).
public struct LeaderElector<C: Clock>: Sendable where C.Duration == Duration {
    public struct Configuration: Sendable, Hashable {
        public var identity: String
        /// How long a lease holds without renewal before another may take it.
        public var leaseDuration: Duration
        /// How long the leader keeps trying to renew before it steps down.
        public var renewDeadline: Duration
        /// How often to try to acquire or renew.
        public var retryPeriod: Duration

        public init(identity: String, leaseDuration: Duration = .seconds(15), renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2)) {
            precondition(leaseDuration > renewDeadline && renewDeadline > retryPeriod, "leaseDuration > renewDeadline > retryPeriod")
            self.identity = identity
            self.leaseDuration = leaseDuration
            self.renewDeadline = renewDeadline
            self.retryPeriod = retryPeriod
        }
    }

    /// What to do with the Lease now.
    public enum Decision: Sendable, Hashable {
        /// No Lease exists: create it with this spec.
        case create(LeaseRecord)
        /// Write this spec over the Lease (with the resourceVersion that was read).
        case update(LeaseRecord)
        /// Another identity holds a live lease: look again at `retryPeriod`.
        case wait
    }

    /// A change of role, for logs, metrics and for starting or stopping the writers.
    public enum RoleChange: Sendable, Hashable {
        case becameLeader
        case lostLeadership
    }

    public let configuration: Configuration
    private var observed: LeaseRecord?
    private var observedAt: C.Instant?
    /// When this process last renewed successfully, while it leads.
    private var renewedAt: C.Instant?

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Whether this process may write now: it renewed within `renewDeadline`.
    public func isLeader(at now: C.Instant) -> Bool {
        guard let renewedAt else { return false }
        return renewedAt.duration(to: now) < configuration.renewDeadline
    }

    /// What to do, given the Lease as just read (nil when there is none).
    public mutating func decide(lease: LeaseRecord?, at now: C.Instant, wallClock: Date) -> Decision {
        let time = LeaseRecord.microTime(wallClock)
        let seconds = Int(configuration.leaseDuration.components.seconds)
        guard let lease else {
            return .create(LeaseRecord(
                holderIdentity: configuration.identity, leaseDurationSeconds: seconds, acquireTime: time, renewTime: time,
                leaseTransitions: 0))
        }
        if lease != observed {
            observed = lease
            observedAt = now
        }
        let heldByUs = lease.holderIdentity == configuration.identity
        let holder = lease.holderIdentity ?? ""
        let leaseLength = lease.leaseDurationSeconds > 0 ? Duration.seconds(lease.leaseDurationSeconds) : configuration.leaseDuration
        let expired = observedAt.map { $0.duration(to: now) >= leaseLength } ?? true
        if !heldByUs, !holder.isEmpty, !expired { return .wait }
        return .update(LeaseRecord(
            holderIdentity: configuration.identity, leaseDurationSeconds: seconds,
            acquireTime: heldByUs ? lease.acquireTime ?? time : time, renewTime: time,
            leaseTransitions: heldByUs ? lease.leaseTransitions : lease.leaseTransitions + 1))
    }

    /// The create or update was accepted: this process leads until `renewDeadline` from `now`.
    public mutating func written(_ record: LeaseRecord, at now: C.Instant) -> RoleChange? {
        let wasLeader = isLeader(at: now)
        observed = record
        observedAt = now
        renewedAt = now
        return wasLeader ? nil : .becameLeader
    }

    /// The write failed (a conflict: someone else wrote first; or the API server is away). The
    /// leader steps down once its last renewal is older than `renewDeadline`.
    public mutating func writeFailed(at now: C.Instant) -> RoleChange? {
        guard renewedAt != nil, !isLeader(at: now) else { return nil }
        renewedAt = nil
        return .lostLeadership
    }

    /// Checks, between attempts, whether leadership ran out without a failed write being seen.
    public mutating func tick(at now: C.Instant) -> RoleChange? {
        guard renewedAt != nil, !isLeader(at: now) else { return nil }
        renewedAt = nil
        return .lostLeadership
    }
}
