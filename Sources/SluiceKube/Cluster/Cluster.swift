import SluiceModel

/// The one seam between Sluice and a Kubernetes API: a real API server (`KubeCluster`) or the
/// embedded one (`EmbeddedCluster`). Every call answers as the API server would; failures are
/// `APIError`s carrying the server's Status.
public protocol Cluster: Sendable {
    /// Server-side apply of `object` (PATCH `application/apply-patch+yaml`); returns the object as
    /// stored (or as it would be stored, for a dry run).
    func serverSideApply(_ object: Object, options: ApplyOptions) async throws -> Object

    /// Creates `object` (POST) as `fieldManager`; fails with 409 AlreadyExists when an object of
    /// that name exists, which is what makes a first claim (a Lease) exclusive.
    func create(_ object: Object, fieldManager: String) async throws -> Object

    /// The object named by `reference`.
    func get(_ reference: ObjectReference) async throws -> Object

    /// Objects of one kind, in one namespace or (nil) all of them.
    func list(_ kind: ResourceKind, namespace: String?, options: ListOptions) async throws -> ObjectList

    /// Events of one kind from `options.resourceVersion` on; the stream ends on the server's
    /// timeout, and throws `APIError` with code 410 when that version is too old to resume.
    func watch(_ kind: ResourceKind, namespace: String?, options: WatchOptions) async throws
        -> AsyncThrowingStream<WatchEvent, any Error>

    /// Deletes the object; returns the object when deletion is pending (finalizers), nil when it is gone.
    @discardableResult
    func delete(_ reference: ObjectReference, options: DeleteOptions) async throws -> Object?

    /// Merge-patches the status subresource as `fieldManager` (an Update entry with `subresource: status`).
    func patchStatus(_ reference: ObjectReference, status: JSONValue, fieldManager: String) async throws -> Object

    /// The kind serving `apiVersion` + `kind`, from discovery.
    func resourceKind(apiVersion: String, kind: String) async throws -> ResourceKind
}

extension Cluster {
    /// Records a core/v1 Event about `object`.
    @discardableResult
    public func createEvent(_ event: EventRecord, fieldManager: String = "sluice") async throws -> Object {
        try await serverSideApply(event.object, options: ApplyOptions(fieldManager: fieldManager, force: true))
    }

    /// The coordination.k8s.io/v1 Lease `namespace/name`, or nil when there is none.
    public func lease(namespace: String, name: String) async throws -> Object? {
        do {
            return try await get(ObjectReference(apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace: namespace, name: name))
        } catch let error as APIError where error.code == 404 {
            return nil
        }
    }

    /// Writes an existing Lease; `lease.metadata.resourceVersion`, when set, makes the write
    /// conditional (409 when someone else renewed it first), which is what leader election needs.
    /// A Lease that does not exist yet is claimed with `create`, never with this: two replicas
    /// applying at once would both succeed.
    public func updateLease(_ lease: Object, fieldManager: String) async throws -> Object {
        try await serverSideApply(lease, options: ApplyOptions(fieldManager: fieldManager, force: true))
    }
}

/// Options of a server-side apply.
public struct ApplyOptions: Sendable, Hashable {
    public var fieldManager: String
    public var force: Bool
    public var dryRun: Bool

    public init(fieldManager: String, force: Bool = false, dryRun: Bool = false) {
        self.fieldManager = fieldManager
        self.force = force
        self.dryRun = dryRun
    }
}

/// Options of a list.
public struct ListOptions: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    public var limit: Int?
    public var continueToken: String?

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil, continueToken: String? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
    }
}

/// Options of a watch.
public struct WatchOptions: Sendable, Hashable {
    public var resourceVersion: String?
    public var labelSelector: String?
    public var fieldSelector: String?
    public var allowBookmarks: Bool
    public var timeoutSeconds: Int?

    public init(
        resourceVersion: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil,
        allowBookmarks: Bool = true, timeoutSeconds: Int? = nil
    ) {
        self.resourceVersion = resourceVersion
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.allowBookmarks = allowBookmarks
        self.timeoutSeconds = timeoutSeconds
    }
}

/// Options of a delete.
public struct DeleteOptions: Sendable, Hashable {
    public enum Propagation: String, Sendable, Hashable {
        case orphan = "Orphan", background = "Background", foreground = "Foreground"
    }

    public var propagationPolicy: Propagation?
    public var preconditionUID: String?
    public var preconditionResourceVersion: String?
    public var dryRun: Bool

    public init(
        propagationPolicy: Propagation? = nil, preconditionUID: String? = nil,
        preconditionResourceVersion: String? = nil, dryRun: Bool = false
    ) {
        self.propagationPolicy = propagationPolicy
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
        self.dryRun = dryRun
    }

    /// The body of a DELETE, as kubectl sends it.
    var body: JSONValue? {
        guard propagationPolicy != nil || preconditionUID != nil || preconditionResourceVersion != nil || dryRun else { return nil }
        var body: JSONValue = ["kind": "DeleteOptions", "apiVersion": "v1"]
        if let propagationPolicy { body = body.setting("propagationPolicy", .string(propagationPolicy.rawValue)) }
        var preconditions: JSONValue = [:]
        if let preconditionUID { preconditions = preconditions.setting("uid", .string(preconditionUID)) }
        if let preconditionResourceVersion {
            preconditions = preconditions.setting("resourceVersion", .string(preconditionResourceVersion))
        }
        if preconditions != [:] { body = body.setting("preconditions", preconditions) }
        if dryRun { body = body.setting("dryRun", ["All"]) }
        return body
    }
}

/// One page of a list.
public struct ObjectList: Sendable, Hashable {
    public var items: [Object]
    public var resourceVersion: String
    /// The token for the next page; empty on the last one.
    public var continueToken: String

    public init(items: [Object], resourceVersion: String, continueToken: String = "") {
        self.items = items
        self.resourceVersion = resourceVersion
        self.continueToken = continueToken
    }
}

/// One event of a watch.
public enum WatchEvent: Sendable, Hashable {
    case added(Object)
    case modified(Object)
    case deleted(Object)
    /// A resourceVersion the client may resume from; no object changed.
    case bookmark(resourceVersion: String)

    /// The type name on the wire.
    public var typeName: String {
        switch self {
        case .added: "ADDED"
        case .modified: "MODIFIED"
        case .deleted: "DELETED"
        case .bookmark: "BOOKMARK"
        }
    }

    public var object: Object? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): object
        case .bookmark: nil
        }
    }
}
