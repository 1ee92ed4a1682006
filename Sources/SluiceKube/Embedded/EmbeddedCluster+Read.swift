import Foundation
import SluiceModel

extension EmbeddedCluster {
    func get(_ served: Served, namespace: String?, name: String) throws(APIError) -> JSONValue {
        guard let stored = objects[storeKey(served, namespace: namespace, name: name)] else {
            throw APIError.notFound(served.resource, name: name)
        }
        return relabeled(stored.value, served)
    }

    /// The object as seen through `served`'s version (versions of one kind share a schema here).
    func relabeled(_ value: JSONValue, _ served: Served) -> JSONValue {
        guard value["apiVersion"]?.stringValue != served.entry.apiVersion else { return value }
        return Self.canonical(value.setting("apiVersion", .string(served.entry.apiVersion)), served)
    }

    /// A LIST: items sorted by namespace and name, filtered, paginated.
    func list(_ served: Served, namespace: String?, options: ListOptions) throws(APIError) -> JSONValue {
        let labelSelector = try options.labelSelector.map { (text) throws(APIError) in try LabelSelector(parsing: text) }
        let fieldSelector = try options.fieldSelector.map { (text) throws(APIError) in try FieldSelector(parsing: text) }
        var keys = objects.keys.filter {
            $0.group == served.entry.group && $0.resource == served.entry.plural && (namespace == nil || $0.namespace == namespace)
        }.sorted()
        if let token = options.continueToken, !token.isEmpty {
            guard let data = Data(base64Encoded: token), let after = String(data: data, encoding: .utf8) else {
                throw APIError.badRequest("continue key is not valid: illegal base64 data")
            }
            keys = keys.filter { "\($0.namespace ?? "")/\($0.name)" > after }
        }
        var items: [JSONValue] = []
        var next = ""
        for key in keys {
            let value = objects[key]!.value
            if let labelSelector, !labelSelector.matches(labels(of: value)) { continue }
            if let fieldSelector, !fieldSelector.matches(value) { continue }
            if let limit = options.limit, limit > 0, items.count == limit {
                let last = items.last!
                let marker = "\(last["metadata"]?["namespace"]?.stringValue ?? "")/\(last["metadata"]?["name"]?.stringValue ?? "")"
                next = Data(marker.utf8).base64EncodedString()
                break
            }
            items.append(relabeled(value, served))
        }
        var metadata: JSONValue = [:]
        if served.isCustom {
            metadata = ["continue": .string(next), "resourceVersion": .string(currentResourceVersion)]
            return ["apiVersion": .string(served.entry.apiVersion), "items": .array(items), "kind": .string(served.entry.listKind), "metadata": metadata]
        }
        metadata = ["resourceVersion": .string(currentResourceVersion)]
        if !next.isEmpty { metadata = metadata.setting("continue", .string(next)) }
        return ["kind": .string(served.entry.listKind), "apiVersion": .string(served.entry.apiVersion), "metadata": metadata, "items": .array(items)]
    }

    /// A watch from `resourceVersion` (exclusive): past events from the history, then live ones.
    /// Without a version, the current objects come first as ADDED. 410 Gone when the version is
    /// older than the history kept.
    func watch(_ served: Served, namespace: String?, options: WatchOptions) throws(APIError) -> (AsyncStream<WatchEvent>, UUID) {
        let selector = try options.labelSelector.map { (text) throws(APIError) in try LabelSelector(parsing: text) }
        let (stream, continuation) = AsyncStream<Event>.makeStream()
        let watcher = Watcher(group: served.entry.group, resource: served.entry.plural, namespace: namespace, selector: selector, continuation: continuation)
        let since = options.resourceVersion.flatMap { Int64($0) } ?? 0
        if since > 0 {
            forgetOldHistory(now: configuration.now())
            if since < historyForgottenThrough {
                throw APIError.gone("too old resource version: \(since) (\(historyForgottenThrough))")
            }
            if since > resourceVersion { throw APIError.gone("too old resource version: \(since) (\(resourceVersion))") }
            for past in history where past.event.resourceVersion > since && watcher.matches(past.event) { continuation.yield(past.event) }
        } else {
            for key in objects.keys.sorted() {
                let stored = objects[key]!
                let event = Event(type: "ADDED", key: key, value: stored.value, resourceVersion: stored.resourceVersion)
                if watcher.matches(event) { continuation.yield(event) }
            }
        }
        let id = UUID()
        watchers[id] = watcher
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            Task { await self.stopWatching(id) }
        }
        let mapped = AsyncStream<WatchEvent> { output in
            let task = Task {
                for await event in stream {
                    let object = Object((relabeledStatic(event.value, served)).objectValue ?? [:])
                    switch event.type {
                    case "ADDED": output.yield(.added(object))
                    case "DELETED": output.yield(.deleted(object))
                    default: output.yield(.modified(object))
                    }
                }
                output.finish()
            }
            output.onTermination = { _ in task.cancel() }
        }
        return (mapped, id)
    }

    func stopWatching(_ id: UUID) {
        watchers[id]?.continuation.finish()
        watchers[id] = nil
    }
}

private func relabeledStatic(_ value: JSONValue, _ served: EmbeddedCluster.Served) -> JSONValue {
    guard value["apiVersion"]?.stringValue != served.entry.apiVersion else { return value }
    return EmbeddedCluster.canonical(value.setting("apiVersion", .string(served.entry.apiVersion)), served)
}
