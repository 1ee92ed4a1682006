import Foundation
import SluiceKube
import SluiceModel
import SluiceProxy

extension CanaryController {
    /// One probe to send now, for the window `epoch` of a Canary.
    struct DueProbe: Sendable {
        var key: Key
        var epoch: Int
        var probe: CanarySpec.Probe
    }

    /// Until cancelled: sends each progressing Canary's probes at their `every`, judges each
    /// rollout every `Configuration.tick` on the probes and the proxy's counters, and carries
    /// out the commands given by annotation.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.watchCommands() }
            while !Task.isCancelled {
                let now = clock.now
                for due in dueProbes(at: now) {
                    group.addTask { await self.send(due) }
                }
                await tick(at: now)
                do {
                    try await clock.sleep(for: configuration.tick)
                } catch {
                    break
                }
            }
            group.cancelAll()
        }
        await sender.shutdown()
    }

    /// Judges every progressing rollout once.
    func tick(at now: C.Instant) async {
        for (key, object) in pendingCommands where machines[key] != nil && tracked[key] != nil {
            await command(from: object)
        }
        for key in machines.keys.sorted(by: { $0.description < $1.description }) {
            guard var machine = machines[key], machine.phase == .progressing, var entry = tracked[key] else { continue }
            let evidence = counterEvidence(for: key, machine: machine, entry: &entry)
            tracked[key] = entry
            if evidence.samples > 0 { machine.observe(evidence) }
            let action = machine.evaluate(at: now)
            machines[key] = machine
            await carryOut(action, for: key, sync: true)
        }
        for (key, entry) in tracked where entry.statusDirty || !entry.pendingEvents.isEmpty {
            await flush(key)
        }
    }

    /// The probes due at `now`; each is marked in flight so a slow one is not sent twice at once.
    func dueProbes(at now: C.Instant) -> [DueProbe] {
        var due: [DueProbe] = []
        for (key, machine) in machines where machine.phase == .progressing {
            guard var entry = tracked[key] else { continue }
            for probe in entry.canary.spec.probes ?? [] where !entry.probesInFlight.contains(probe.name) {
                if let next = entry.probeDue[probe.name], next > now { continue }
                let every = (try? GoDuration.parse(probe.every ?? "1s")) ?? .seconds(1)
                entry.probeDue[probe.name] = now.advanced(by: every)
                entry.probesInFlight.insert(probe.name)
                due.append(DueProbe(key: key, epoch: entry.epoch, probe: probe))
            }
            tracked[key] = entry
        }
        return due
    }

    /// Sends one probe through the proxy core and counts its verdict for the window it was sent in.
    func send(_ due: DueProbe) async {
        let verdict: ProbeVerdict
        do {
            let endpoint = try await endpoint(for: due)
            verdict = await sender.send(due.probe, to: endpoint, timeout: configuration.probeTimeout)
        } catch {
            verdict = .failed(probe: due.probe.name, error: "\(error)")
        }
        tracked[due.key]?.probesInFlight.remove(due.probe.name)
        // An answer to a probe sent before the last transition says nothing about this step.
        guard tracked[due.key]?.epoch == due.epoch, var machine = machines[due.key] else { return }
        machine.observe(success: verdict.success, detail: verdict.detail)
        machines[due.key] = machine
    }

    /// What the proxy saw of the new backends since the window's last reading: each response a
    /// sample, failed when it was a 5xx or certainly slower than the most lenient probe's
    /// `maxLatency` (its latency bucket starts above it).
    func counterEvidence(for key: Key, machine: Machine, entry: inout Tracked) -> Evidence {
        guard let plan = machine.plan else { return Evidence() }
        let stableTotal = Double(max(1, plan.stable.reduce(0, +)))
        let targetTotal = Double(max(1, plan.target.reduce(0, +)))
        let limit = (entry.canary.spec.probes ?? []).compactMap { $0.expect?.maxLatency.flatMap { try? GoDuration.parse($0) } }.max()
        let limitSeconds = limit.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        var evidence = Evidence()
        for (index, backend) in entry.backends.enumerated() where index < plan.target.count {
            // The backends Git moves traffic towards: their share grows.
            guard Double(plan.target[index]) / targetTotal > Double(plan.stable[index]) / stableTotal else { continue }
            let backendKey = BackendKey(namespace: backend.namespace ?? key.namespace, name: backend.name, port: backend.port ?? 0)
            let now = stats.backend(backendKey).snapshot()
            guard let before = entry.baseline[backendKey] else {
                entry.baseline[backendKey] = now
                continue
            }
            entry.baseline[backendKey] = now
            let responses = now.responses - before.responses
            guard responses > 0 else { continue }
            let errors = now.responsesByClass[4] - before.responsesByClass[4]
            var slow = 0
            if let limitSeconds {
                for bucket in now.latencyBuckets.indices {
                    let lowerBound = bucket == 0 ? 0 : BackendStats.latencyBounds[bucket - 1]
                    if lowerBound >= limitSeconds { slow += now.latencyBuckets[bucket] - before.latencyBuckets[bucket] }
                }
            }
            let failures = min(responses, errors + slow)
            evidence.successes += responses - failures
            evidence.failures += failures
            if failures > 0 {
                var parts: [String] = []
                if errors > 0 { parts.append("\(errors) answered 5xx") }
                if slow > 0, let limit { parts.append("\(slow) took longer than \(GoDuration.format(limit))") }
                evidence.failedSamples.append("proxy: of \(responses) responses from \(backendKey), " + parts.joined(separator: ", "))
            }
        }
        return evidence
    }

    /// The proxy listener a probe goes to: `request.port`, else the listener the route's first
    /// Gateway or ListenerSet parent names (sectionName, port), else that parent's first HTTP (or
    /// HTTPS) listener. A ListenerSet's listeners are served at its parent Gateway's address.
    /// Looked up again every few seconds, so a changed Gateway or ListenerSet is followed.
    func endpoint(for due: DueProbe) async throws -> ProbeEndpoint {
        let now = clock.now
        if let cached = tracked[due.key]?.endpoints[due.probe.name], cached.until > now { return cached.endpoint }
        guard let routeReference = tracked[due.key]?.route else { throw ProbeSetupError(message: "\(due.key) is not synced yet") }
        let route = try await cluster.get(routeReference)
        let parents = route[FieldPath(parsing: "spec.parentRefs")]?.arrayValue ?? []
        guard let parent = parents.first(where: { parent in
                (parent["group"]?.stringValue ?? GatewayAPI.group) == GatewayAPI.group
                    && ["Gateway", "ListenerSet"].contains(parent["kind"]?.stringValue ?? "Gateway")
            }),
            let parentName = parent["name"]?.stringValue
        else { throw ProbeSetupError(message: "\(routeReference) has no Gateway or ListenerSet in spec.parentRefs") }
        let parentKind = parent["kind"]?.stringValue ?? "Gateway"
        let parentReference = ObjectReference(
            apiVersion: "\(GatewayAPI.group)/v1", kind: parentKind,
            namespace: parent["namespace"]?.stringValue ?? routeReference.namespace ?? due.key.namespace, name: parentName)
        let listenersOwner = try await cluster.get(parentReference)
        var gatewayReference = parentReference
        if parentKind == "ListenerSet" {
            guard let gatewayName = listenersOwner[FieldPath(parsing: "spec.parentRef.name")]?.stringValue else {
                throw ProbeSetupError(message: "\(parentReference) has no spec.parentRef")
            }
            gatewayReference = ObjectReference(
                apiVersion: "\(GatewayAPI.group)/v1", kind: "Gateway",
                namespace: listenersOwner[FieldPath(parsing: "spec.parentRef.namespace")]?.stringValue ?? parentReference.namespace,
                name: gatewayName)
        }
        let request = due.probe.request
        let listeners = (listenersOwner[FieldPath(parsing: "spec.listeners")]?.arrayValue ?? []).filter { listener in
            let proto = listener["protocol"]?.stringValue ?? ""
            let port = listener["port"]?.integerValue.map { Int($0) }
            guard proto == "HTTP" || proto == "HTTPS" else { return false }
            if let scheme = request.scheme, (scheme == "https") != (proto == "HTTPS") { return false }
            if let section = parent["sectionName"]?.stringValue, listener["name"]?.stringValue != section { return false }
            if let wanted = parent["port"]?.integerValue.map({ Int($0) }), port != wanted { return false }
            if let wanted = request.port, port != wanted { return false }
            return true
        }
        guard let listener = listeners.first, let listenerPort = listener["port"]?.integerValue.map({ Int($0) }) else {
            throw ProbeSetupError(message: "no HTTP or HTTPS listener of \(parentReference) matches the probe and \(routeReference)")
        }
        guard let (address, port) = await target.socket(gatewayReference, listenerPort) else {
            throw ProbeSetupError(message: "listener port \(listenerPort) of \(gatewayReference) is not served by the proxy")
        }
        let routeHostnames = (route[FieldPath(parsing: "spec.hostnames")]?.arrayValue ?? []).compactMap(\.stringValue)
        let hostname = request.hostname ?? routeHostnames.first { !$0.hasPrefix("*") }
            ?? listener["hostname"]?.stringValue.flatMap { $0.hasPrefix("*") ? nil : $0 } ?? "localhost"
        let endpoint = ProbeEndpoint(
            scheme: listener["protocol"]?.stringValue == "HTTPS" ? "https" : "http", hostname: hostname, address: address, port: port)
        tracked[due.key]?.endpoints[due.probe.name] = (endpoint, clock.now.advanced(by: .seconds(5)))
        return endpoint
    }
}

/// Why a probe could not be sent: it counts as a failed sample, with this message.
struct ProbeSetupError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
