import Logging
import SluiceKube
import SluiceModel
import SluiceProxy

/// Feeds the proxy core from the cluster: watches every kind the route compiler reads, and after
/// each burst of changes yields one whole `ProxyInput`. Whatever writes the objects (this agent's
/// sync, kubectl, another controller), the proxy serves what the cluster holds.
public struct ClusterProxyFeed: ProxyConfigurationSource {
    /// The kinds the route compiler reads, as apiVersion + kind.
    public static let watchedKinds: [(apiVersion: String, kind: String)] = [
        ("gateway.networking.k8s.io/v1", "GatewayClass"), ("gateway.networking.k8s.io/v1", "Gateway"),
        ("gateway.networking.k8s.io/v1", "HTTPRoute"), ("gateway.networking.k8s.io/v1beta1", "ReferenceGrant"),
        ("gateway.networking.k8s.io/v1", "ListenerSet"), ("gateway.networking.k8s.io/v1", "GRPCRoute"),
        ("v1", "Service"), ("discovery.k8s.io/v1", "EndpointSlice"), ("v1", "Secret"), ("v1", "Namespace"),
    ]

    private let stream: AsyncStream<ProxyInput>

    /// Starts watching at once; the watches end when the stream's consumer goes away.
    /// `settle` is how long a burst of changes may last before the snapshot is taken.
    public init(cluster: any Cluster, settle: Duration = .milliseconds(20), logger: Logger) {
        let (stream, continuation) = AsyncStream.makeStream(of: ProxyInput.self, bufferingPolicy: .bufferingNewest(1))
        self.stream = stream
        let task = Task {
            let store = LiveObjects()
            let (changes, changed) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            await withTaskGroup(of: Void.self) { group in
                for (apiVersion, kind) in Self.watchedKinds {
                    group.addTask {
                        await Self.observe(apiVersion: apiVersion, kind: kind, cluster: cluster, store: store, changed: changed, logger: logger)
                    }
                }
                group.addTask {
                    for await _ in changes {
                        try? await Task.sleep(for: settle)
                        continuation.yield(Self.input(from: await store.objects(), logger: logger))
                    }
                }
                await group.waitForAll()
            }
        }
        continuation.onTermination = { _ in task.cancel() }
    }

    public func snapshots() -> AsyncStream<ProxyInput> { stream }

    /// Keeps one kind's objects in `store`, re-watching after an error (the API server restarting,
    /// a CRD not installed yet) until cancelled.
    private static func observe(
        apiVersion: String, kind: String, cluster: any Cluster, store: LiveObjects,
        changed: AsyncStream<Void>.Continuation, logger: Logger
    ) async {
        while !Task.isCancelled {
            do {
                let resource = try await cluster.resourceKind(apiVersion: apiVersion, kind: kind)
                for try await event in cluster.observe(resource, namespace: nil) {
                    await store.record(event)
                    changed.yield()
                }
            } catch is CancellationError {
                return
            } catch {
                logger.debug("watch of \(kind) ended; retrying", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Typed values of every object that decodes; one that does not is logged and left out, so
    /// one odd object never takes the other routes down.
    static func input(from objects: [Object], logger: Logger) -> ProxyInput {
        var input = ProxyInput()
        for object in objects {
            do {
                input.append(try ProxyInput(objects: [object]))
            } catch {
                logger.warning("proxy skips \(object.reference): \(error)")
            }
        }
        return input
    }
}

/// The live objects of the watched kinds, by reference.
actor LiveObjects {
    private var byReference: [ObjectReference: Object] = [:]

    func record(_ event: WatchEvent) {
        switch event {
        case .added(let object), .modified(let object): byReference[object.reference] = object
        case .deleted(let object): byReference[object.reference] = nil
        case .bookmark: break
        }
    }

    func objects() -> [Object] { byReference.keys.sorted().compactMap { byReference[$0] } }
}
