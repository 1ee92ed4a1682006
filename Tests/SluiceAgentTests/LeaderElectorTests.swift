import Foundation
import SluiceAgent
import SluiceModel
import SluiceTestSupport
import Testing

@Suite("Leader election on a Lease")
struct LeaderElectorTests {
    typealias Elector = LeaderElector<TestClock>
    let wall = Date(timeIntervalSince1970: 1_795_000_000.25)

    /// Two agents sharing one Lease, written as the API server would (last write wins here;
    /// conflicts are the caller's to report with `writeFailed`).
    struct Cluster {
        var lease: LeaseRecord?
        mutating func carry(_ decision: Elector.Decision, for elector: inout Elector, at now: TestClock.Instant) -> Elector.RoleChange? {
            switch decision {
            case .create(let record), .update(let record):
                lease = record
                return elector.written(record, at: now)
            case .wait:
                return elector.tick(at: now)
            }
        }
    }

    @Test("the first agent creates the Lease and leads; the second waits")
    func acquire() {
        var cluster = Cluster()
        var first = Elector(configuration: .init(identity: "agent-a"))
        var second = Elector(configuration: .init(identity: "agent-b"))
        let decision = first.decide(lease: cluster.lease, at: t(0), wallClock: wall)
        #expect(decision == .create(LeaseRecord(
            holderIdentity: "agent-a", leaseDurationSeconds: 15, acquireTime: "2026-11-18T11:06:40.250000Z",
            renewTime: "2026-11-18T11:06:40.250000Z", leaseTransitions: 0)))
        #expect(cluster.carry(decision, for: &first, at: t(0)) == .becameLeader)
        #expect(first.isLeader(at: t(1)))
        #expect(second.decide(lease: cluster.lease, at: t(1), wallClock: wall) == .wait)
        #expect(!second.isLeader(at: t(1)))
    }

    @Test("when the leader stops renewing, the other takes over within the lease duration")
    func takeover() {
        var cluster = Cluster()
        var first = Elector(configuration: .init(identity: "agent-a"))
        var second = Elector(configuration: .init(identity: "agent-b"))
        _ = cluster.carry(first.decide(lease: nil, at: t(0), wallClock: wall), for: &first, at: t(0))
        // agent-a renews every 2 s until it dies after t=6; agent-b looks on the odd seconds.
        var takenAt: Double?
        for now in stride(from: 1.0, through: 30, by: 1) {
            let clock = wall.addingTimeInterval(now)
            if Int(now) % 2 == 0 {
                guard now <= 6 else { continue }
                #expect(cluster.carry(first.decide(lease: cluster.lease, at: t(now), wallClock: clock), for: &first, at: t(now)) == nil)
            } else if cluster.carry(second.decide(lease: cluster.lease, at: t(now), wallClock: clock), for: &second, at: t(now)) == .becameLeader {
                takenAt = now
                break
            }
        }
        // The last renewal (t=6) was first seen at t=7; 15 s later, at t=22, it is expired.
        #expect(takenAt == 23)
        #expect(cluster.lease?.holderIdentity == "agent-b")
        #expect(cluster.lease?.leaseTransitions == 1)
        #expect(takenAt.map { $0 - 6 <= 15 + 2 } == true, "within the lease duration plus one retry period")
    }

    @Test("a leader that cannot renew steps down after the renew deadline, before others may take over")
    func stepDown() {
        var elector = Elector(configuration: .init(identity: "agent-a"))
        let record = LeaseRecord(holderIdentity: "agent-a", leaseDurationSeconds: 15, acquireTime: nil, renewTime: nil, leaseTransitions: 0)
        #expect(elector.written(record, at: t(0)) == .becameLeader)
        #expect(elector.writeFailed(at: t(4)) == nil, "still within the renew deadline")
        #expect(elector.isLeader(at: t(9.9)))
        #expect(elector.writeFailed(at: t(10)) == .lostLeadership)
        #expect(!elector.isLeader(at: t(10)))
        #expect(elector.tick(at: t(11)) == nil, "stepping down is reported once")
    }

    @Test("renewing keeps the acquire time and transition count; taking over increments it")
    func renewal() {
        var elector = Elector(configuration: .init(identity: "agent-a"))
        let held = LeaseRecord(
            holderIdentity: "agent-a", leaseDurationSeconds: 15, acquireTime: "2026-01-01T00:00:00.000000Z",
            renewTime: "2026-01-01T00:00:10.000000Z", leaseTransitions: 4)
        guard case .update(let renewed) = elector.decide(lease: held, at: t(0), wallClock: wall) else {
            Issue.record("the holder renews")
            return
        }
        #expect(renewed.acquireTime == "2026-01-01T00:00:00.000000Z")
        #expect(renewed.leaseTransitions == 4)
        var released = held
        released.holderIdentity = ""
        var other = Elector(configuration: .init(identity: "agent-b"))
        guard case .update(let taken) = other.decide(lease: released, at: t(0), wallClock: wall) else {
            Issue.record("a released lease is free to take")
            return
        }
        #expect(taken.holderIdentity == "agent-b")
        #expect(taken.leaseTransitions == 5)
    }

    @Test("the Lease spec reads from and writes to its object form")
    func objectForm() throws {
        let record = LeaseRecord(
            holderIdentity: "agent-a", leaseDurationSeconds: 15, acquireTime: "2026-01-01T00:00:00.000000Z",
            renewTime: "2026-01-01T00:00:02.500000Z", leaseTransitions: 2)
        let object = try Object(encoding: ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease"] as [String: String])
        var lease = object
        lease.content["spec"] = record.spec
        #expect(LeaseRecord(lease: lease) == record)
    }
}
