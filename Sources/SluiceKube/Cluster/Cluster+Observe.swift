import SluiceModel

extension Cluster {
    /// Every change to objects of one kind, for as long as the caller iterates: a list first
    /// (each object as ADDED), then a watch from the list's resourceVersion that resumes after
    /// each server timeout from the last version seen (BOOKMARKs move it on), and lists again
    /// when the server answers 410 Gone.
    public func observe(_ kind: ResourceKind, namespace: String?, labelSelector: String? = nil) -> AsyncThrowingStream<WatchEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var version: String?
                while !Task.isCancelled {
                    do {
                        if version == nil {
                            let list = try await self.list(kind, namespace: namespace, options: ListOptions(labelSelector: labelSelector))
                            for item in list.items { continuation.yield(.added(item)) }
                            version = list.resourceVersion
                        }
                        let events = try await self.watch(
                            kind, namespace: namespace, options: WatchOptions(resourceVersion: version, labelSelector: labelSelector, timeoutSeconds: 300))
                        for try await event in events {
                            switch event {
                            case .bookmark(let next): version = next
                            default:
                                if let next = event.object?.metadata["resourceVersion"]?.stringValue { version = next }
                                continuation.yield(event)
                            }
                        }
                    } catch let error as APIError where error.code == 410 {
                        version = nil
                    } catch {
                        continuation.finish(throwing: error)
                        return
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
