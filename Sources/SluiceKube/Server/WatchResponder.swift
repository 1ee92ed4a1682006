import Foundation
import SluiceModel

/// A watch over HTTP: one JSON object per line (`{"type":...,"object":...}`), BOOKMARKs when the
/// client allows them, an ERROR event with a 410 Status when the version is too old, and the end
/// of the body after `timeoutSeconds`.
struct WatchResponder: Sendable {
    let cluster: EmbeddedCluster

    func watch(_ served: EmbeddedCluster.Served, namespace: String?, request: APIRequest) async throws(APIError) -> APIResponse {
        let options = WatchOptions(
            resourceVersion: request.query["resourceVersion"], labelSelector: request.query["labelSelector"],
            fieldSelector: request.query["fieldSelector"], allowBookmarks: request.query["allowWatchBookmarks"] == "true",
            timeoutSeconds: request.query["timeoutSeconds"].flatMap { Int($0) })
        let timeout = Double(options.timeoutSeconds ?? Int.random(in: 1800...3600))
        let cluster = cluster
        let events: AsyncStream<WatchEvent>
        let id: UUID
        do {
            (events, id) = try await cluster.watch(served, namespace: namespace, options: options)
        } catch let error where error.code == 410 {
            let line = Array((JSONValue.object(["type": "ERROR", "object": error.statusBody]).jsonText() + "\n").utf8)
            return .stream(AsyncStream { continuation in
                continuation.yield(line)
                continuation.finish()
            })
        }
        let kind = served.entry.kind
        let apiVersion = served.entry.apiVersion
        return .stream(AsyncStream { continuation in
            let task = Task {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await event in events {
                            let value: JSONValue = ["type": .string(event.typeName), "object": event.object?.value ?? .null]
                            continuation.yield(Array((value.jsonText() + "\n").utf8))
                        }
                    }
                    if options.allowBookmarks {
                        group.addTask {
                            while !Task.isCancelled {
                                try? await Task.sleep(for: .seconds(5))
                                if Task.isCancelled { break }
                                let version = await cluster.currentResourceVersion
                                let bookmark: JSONValue = [
                                    "type": "BOOKMARK",
                                    "object": ["kind": .string(kind), "apiVersion": .string(apiVersion), "metadata": ["resourceVersion": .string(version)]],
                                ]
                                continuation.yield(Array((bookmark.jsonText() + "\n").utf8))
                            }
                        }
                    }
                    group.addTask { try? await Task.sleep(for: .seconds(timeout)) }
                    await group.next()
                    group.cancelAll()
                }
                await cluster.stopWatching(id)
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        })
    }
}
