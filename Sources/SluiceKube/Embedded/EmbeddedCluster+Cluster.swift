import SluiceModel

/// EmbeddedCluster as a `Cluster`: the same operations the REST API offers, called in-process.
extension EmbeddedCluster: Cluster {
    func served(for kind: ResourceKind) throws(APIError) -> Served {
        guard let served = servedKind(group: kind.group, version: kind.version, plural: kind.plural) else {
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        return served
    }

    func served(apiVersion: String, kind: String) throws(APIError) -> Served {
        guard let served = servedKind(apiVersion: apiVersion, kind: kind) else {
            throw APIError(code: 404, reason: "NotFound", message: "no matches for kind \(FieldError.goQuote(kind)) in version \(FieldError.goQuote(apiVersion))")
        }
        return served
    }

    /// The namespace an object without one is written to: `default` for a namespaced kind.
    func namespace(of object: Object, _ served: Served) -> String? {
        object.namespace ?? (served.entry.namespaced ? "default" : nil)
    }

    public func resourceKind(apiVersion: String, kind: String) async throws -> ResourceKind {
        try served(apiVersion: apiVersion, kind: kind).resource
    }

    public func serverSideApply(_ object: Object, options: ApplyOptions) async throws -> Object {
        let served = try served(apiVersion: object.apiVersion, kind: object.kind)
        let result = try apply(served, namespace: namespace(of: object, served), name: object.name, body: object.value, options: options, subresource: nil)
        try await durable()
        return Object(result.value.objectValue ?? [:])
    }

    public func create(_ object: Object, fieldManager: String) async throws -> Object {
        let served = try served(apiVersion: object.apiVersion, kind: object.kind)
        let result = try create(served, namespace: namespace(of: object, served), body: object.value, manager: fieldManager)
        try await durable()
        return Object(result.objectValue ?? [:])
    }

    public func get(_ reference: ObjectReference) async throws -> Object {
        let served = try served(apiVersion: reference.apiVersion, kind: reference.kind)
        return Object(try get(served, namespace: reference.namespace, name: reference.name).objectValue ?? [:])
    }

    public func list(_ kind: ResourceKind, namespace: String?, options: ListOptions) async throws -> ObjectList {
        let value = try list(try served(for: kind), namespace: namespace, options: options)
        return ObjectList(
            items: (value["items"]?.arrayValue ?? []).map { Object($0.objectValue ?? [:]) },
            resourceVersion: value["metadata"]?["resourceVersion"]?.stringValue ?? "",
            continueToken: value["metadata"]?["continue"]?.stringValue ?? "")
    }

    public func watch(_ kind: ResourceKind, namespace: String?, options: WatchOptions) async throws
        -> AsyncThrowingStream<WatchEvent, any Error>
    {
        let (events, id) = try watch(try served(for: kind), namespace: namespace, options: options)
        let timeout = options.timeoutSeconds
        return AsyncThrowingStream { continuation in
            let task = Task {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await event in events { continuation.yield(event) }
                    }
                    if let timeout { group.addTask { try? await Task.sleep(for: .seconds(timeout)) } }
                    await group.next()
                    group.cancelAll()
                }
                self.stopWatching(id)
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    @discardableResult
    public func delete(_ reference: ObjectReference, options: DeleteOptions) async throws -> Object? {
        let served = try served(apiVersion: reference.apiVersion, kind: reference.kind)
        let result = try delete(served, namespace: reference.namespace, name: reference.name, options: options)
        try await durable()
        return result.pending ? Object(result.value.objectValue ?? [:]) : nil
    }

    public func patchStatus(_ reference: ObjectReference, status: JSONValue, fieldManager: String) async throws -> Object {
        let served = try served(apiVersion: reference.apiVersion, kind: reference.kind)
        let result = try mergePatch(
            served, namespace: reference.namespace, name: reference.name, patch: ["status": status], manager: fieldManager,
            subresource: served.entry.statusSubresource ? "status" : nil, fieldValidation: nil)
        try await durable()
        return Object(result.value.objectValue ?? [:])
    }
}
