import Foundation
import Logging
import OrderedCollections
import SluiceKube
import SluiceModel

/// Runs leader election on a Lease for as long as the agent runs: only the leader syncs, corrects
/// drift, steps canaries and writes statuses; the others take over within the lease duration
/// when it dies, or at once when it shuts down and releases the lease.
public actor LeaderLoop {
    public typealias Elector = LeaderElector<ContinuousClock>

    private static let fieldManager = "sluice-leader-election"
    private let cluster: any Cluster
    private let namespace: String
    private let name: String
    private let configuration: Elector.Configuration
    private let logger: Logger
    private let onChange: @Sendable (Elector.RoleChange) async -> Void
    private var elector: Elector
    private let clock = ContinuousClock()

    public init(
        cluster: any Cluster, namespace: String, name: String = "sluice-leader", configuration: Elector.Configuration,
        logger: Logger, onChange: @escaping @Sendable (Elector.RoleChange) async -> Void
    ) {
        self.cluster = cluster
        self.namespace = namespace
        self.name = name
        self.configuration = configuration
        self.logger = logger
        self.onChange = onChange
        elector = Elector(configuration: configuration)
    }

    /// Whether this process may write now.
    public var isLeader: Bool { elector.isLeader(at: clock.now) }

    /// Tries to acquire and then renew every `retryPeriod` until cancelled; on cancellation a
    /// leader releases the lease so a standby takes over without waiting for it to expire.
    public func run() async {
        while !Task.isCancelled {
            await attempt()
            try? await Task.sleep(for: configuration.retryPeriod)
            if let change = elector.tick(at: clock.now) { await announce(change) }
        }
        await release()
    }

    private func attempt() async {
        let now = clock.now
        let lease: Object?
        do {
            lease = try await cluster.lease(namespace: namespace, name: name)
        } catch {
            logger.warning("cannot read the leader lease: \(error)")
            if let change = elector.writeFailed(at: now) { await announce(change) }
            return
        }
        let decision = elector.decide(lease: lease.map(LeaseRecord.init(lease:)), at: now, wallClock: Date())
        let record: LeaseRecord
        do {
            switch decision {
            case .wait:
                // Someone else renewed a lease we thought was ours: step down.
                if elector.isLeader(at: now) {
                    elector = Elector(configuration: configuration)
                    await announce(.lostLeadership)
                }
                return
            case .create(let new):
                // A create, not an apply: of two replicas that both saw no Lease, one gets 409.
                record = new
                _ = try await cluster.create(leaseObject(record, resourceVersion: nil), fieldManager: Self.fieldManager)
            case .update(let new):
                record = new
                _ = try await cluster.updateLease(
                    leaseObject(record, resourceVersion: lease?.metadata["resourceVersion"]?.stringValue), fieldManager: Self.fieldManager)
            }
            if let change = elector.written(record, at: clock.now) { await announce(change) }
        } catch {
            logger.debug("leader lease write refused: \(error)")
            if let change = elector.writeFailed(at: clock.now) { await announce(change) }
        }
    }

    private func release() async {
        guard elector.isLeader(at: clock.now), let lease = try? await cluster.lease(namespace: namespace, name: name) else { return }
        var record = LeaseRecord(lease: lease)
        guard record.holderIdentity == configuration.identity else { return }
        record.holderIdentity = nil
        record.leaseDurationSeconds = 1
        _ = try? await cluster.updateLease(
            leaseObject(record, resourceVersion: lease.metadata["resourceVersion"]?.stringValue), fieldManager: Self.fieldManager)
        elector = Elector(configuration: configuration)
        logger.info("released the leader lease")
    }

    private func announce(_ change: Elector.RoleChange) async {
        switch change {
        case .becameLeader: logger.info("became the leader", metadata: ["identity": "\(configuration.identity)"])
        case .lostLeadership: logger.warning("lost the leadership", metadata: ["identity": "\(configuration.identity)"])
        }
        await onChange(change)
    }

    private func leaseObject(_ record: LeaseRecord, resourceVersion: String?) -> Object {
        var metadata: JSONObject = ["name": .string(name), "namespace": .string(namespace)]
        if let resourceVersion { metadata["resourceVersion"] = .string(resourceVersion) }
        return Object(["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": .object(metadata), "spec": record.spec])
    }
}
