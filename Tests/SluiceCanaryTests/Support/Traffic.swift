import Synchronization

/// Requests driven through the proxy while a rollout runs, each counted under the weights the
/// proxy served before and after it (requests that straddle a change are not counted).
final class Traffic: Sendable {
    private let tallies = Mutex<[[Int]: [String: Int]]>([:])
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// How many requests each backend answered while `weights` served.
    func counts(at weights: [Int]) -> [String: Int] { tallies.withLock { $0[weights] ?? [:] } }

    /// Starts `connections` clients, each sending one request after the other, `pause` apart:
    /// a few hundred requests a second, not all the machine has (the package's timing tests run
    /// beside these).
    static func start(_ harness: RolloutHarness, connections: Int = 1, pause: Duration = .milliseconds(3)) async -> Traffic {
        let traffic = Traffic()
        let port = await harness.proxy.boundPort(listenerPort: 80) ?? 0
        let loop = Task {
            await withDiscardingTaskGroup { group in
                for _ in 0..<connections {
                    group.addTask { await traffic.drive(harness, port: port, pause: pause) }
                }
            }
        }
        traffic.task.withLock { $0 = loop }
        return traffic
    }

    private func drive(_ harness: RolloutHarness, port: Int, pause: Duration) async {
        var connection: TestConnection?
        while !Task.isCancelled {
            do {
                if connection == nil { connection = try await TestConnection.connect(port: port) }
                let before = harness.state.withLock { $0.serving }
                let response = try await connection!.get("/load", host: RolloutHarness.host)
                let after = harness.state.withLock { $0.serving }
                guard before == after else { continue }
                let answer = response.status == 200 ? response.body : "\(response.body) \(response.status)"
                tallies.withLock { $0[before, default: [:]][answer, default: 0] += 1 }
                try await Task.sleep(for: pause)
            } catch {
                await connection?.close()
                connection = nil
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        await connection?.close()
    }

    func stop() async {
        let loop = task.withLock { $0 }
        loop?.cancel()
        await loop?.value
    }
}
