import OrderedCollections
import SluiceModel

extension EmbeddedCluster {
    /// POST: creates an object; `manager` is the field manager of the Update entry it gets.
    func create(_ served: Served, namespace: String?, body: JSONValue, manager: String, dryRun: Bool = false) throws(APIError) -> JSONValue {
        try checkIdentity(body, served, namespace: namespace, name: nil)
        try requireNamespace(served, namespace)
        guard let name = body["metadata"]?["name"]?.stringValue, !name.isEmpty else {
            throw APIError.invalid(served.resource, name: "", errors: [FieldError(.required, field: FieldPath(parsing: "metadata.name"), detail: "name or generateName is required")])
        }
        let key = storeKey(served, namespace: namespace, name: name)
        guard objects[key] == nil else { throw APIError.alreadyExists(served.resource, name: name) }
        var value = SchemaValidator().applyingDefaults(to: pruned(body, served), schema: served.schema)
        value = value.replacing(["metadata", "namespace"], with: served.entry.namespaced ? namespace.map(JSONValue.string) : nil)
        let isNamespace = served.entry.kind == "Namespace" && served.entry.group.isEmpty
        if isNamespace { value = value.replacing(["metadata", "labels", "kubernetes.io/metadata.name"], with: .string(name)) }
        // The creator owns what it sent (the server's own additions to a namespace's spec and
        // status excepted); the object and its metadata themselves are not tracked.
        var fields = StructuredMerge.changes(from: nil, to: applyConfiguration(value, served, subresource: nil), schema: served.schema)
        fields.isMember = false
        fields.children[.field("metadata")]?.isMember = false
        if isNamespace {
            value = value.replacing(["spec", "finalizers"], with: ["kubernetes"])
            value = value.replacing(["status", "phase"], with: "Active")
        }
        let now = timestamp()
        let entry = ManagedFieldsEntry(
            manager: manager, operation: "Update", apiVersion: served.entry.apiVersion, time: now, subresource: nil,
            fields: fields)
        return try write(served, key: key, live: nil, candidate: value, entries: [entry], now: now, dryRun: dryRun).value
    }

    /// Drops the members a client may not set (server-owned metadata).
    func pruned(_ body: JSONValue, _ served: Served) -> JSONValue {
        var value = body
        for field in ["uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "deletionTimestamp", "selfLink"] {
            value = value.replacing(["metadata", field], with: nil)
        }
        return value
    }

    /// The result of a merge patch: the object, and warnings for the client (`Warning: 299`).
    struct PatchResult: Sendable {
        var value: JSONValue
        var warnings: [String]
    }

    /// PATCH `application/merge-patch+json` (RFC 7386) on the object or its status.
    func mergePatch(
        _ served: Served, namespace: String?, name: String, patch: JSONValue, manager: String, subresource: String?,
        fieldValidation: String?, dryRun: Bool = false
    ) throws(APIError) -> PatchResult {
        try self.patch(
            served, namespace: namespace, name: name, patch: .merge(patch), manager: manager, subresource: subresource,
            fieldValidation: fieldValidation, dryRun: dryRun)
    }

    /// The body of a PATCH that is not an apply.
    enum UpdatePatch {
        /// `application/merge-patch+json` (RFC 7386).
        case merge(JSONValue)
        /// `application/json-patch+json` (RFC 6902).
        case json(JSONPatch)
    }

    /// A merge or JSON patch: an Update by `manager` of the patched object.
    func patch(
        _ served: Served, namespace: String?, name: String, patch: UpdatePatch, manager: String, subresource: String?,
        fieldValidation: String?, dryRun: Bool = false
    ) throws(APIError) -> PatchResult {
        let key = storeKey(served, namespace: namespace, name: name)
        guard let live = objects[key]?.value else { throw APIError.notFound(served.resource, name: name) }
        var patched: JSONValue
        switch patch {
        case .merge(let body):
            patched = Self.applyMergePatch(body, to: live)
        case .json(let operations):
            patched = live
            // kube-apiserver answers an operation that does not apply (a failed test, a missing
            // path) with this generic 422 and no detail, whatever the cause.
            do {
                try operations.apply(to: &patched)
            } catch {
                throw APIError(
                    code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request",
                    details: APIError.Details())
            }
            guard case .object = patched else {
                throw APIError.badRequest("the patched document is not an object")
            }
        }
        var warnings: [String] = []
        let unknown = SchemaValidator().unknownFields(patched, against: served.schema)
        if !unknown.isEmpty {
            switch fieldValidation ?? "Warn" {
            case "Strict":
                let shown = Self.canonical(patched, served).jsonText()
                let detail = "strict decoding error: " + unknown.map { "unknown field \"\($0)\"" }.joined(separator: ", ")
                throw APIError(
                    code: 422, reason: "Invalid",
                    message: " \"\" is invalid: patch: Invalid value: \(FieldError.goQuote(shown)): \(detail)",
                    details: APIError.Details(causes: [APIError.Cause(reason: "FieldValueInvalid", message: "Invalid value: \(FieldError.goQuote(shown)): \(detail)", field: "patch")]))
            case "Ignore":
                break
            default:
                warnings = unknown.map { "unknown field \"\($0)\"" }
            }
            for path in unknown { patched = Self.removing(path, from: patched) }
        }
        // The status subresource writes only the status; the main resource never does.
        if subresource == "status" {
            patched = live.setting("status", patched["status"])
        } else if served.entry.statusSubresource {
            patched = patched.setting("status", live["status"])
        }
        patched = SchemaValidator().applyingDefaults(to: patched, schema: served.schema)
        let result = try update(served, key: key, live: live, candidate: patched, manager: manager, subresource: subresource, dryRun: dryRun)
        return PatchResult(value: result, warnings: warnings)
    }

    /// An Update: the manager gains the fields it changed, which other managers lose.
    func update(
        _ served: Served, key: ObjectStore.Key, live: JSONValue, candidate: JSONValue, manager: String, subresource: String?,
        dryRun: Bool
    ) throws(APIError) -> JSONValue {
        let changed = StructuredMerge.changes(
            from: applyConfiguration(live, served, subresource: subresource),
            to: applyConfiguration(candidate, served, subresource: subresource), schema: served.schema)
        var entries = ManagedFieldsEntry.entries(of: live["metadata"])
        let now = timestamp()
        let me = ManagedFieldsEntry(
            manager: manager, operation: "Update", apiVersion: served.entry.apiVersion, time: now,
            subresource: subresource, fields: changed)
        for index in entries.indices where !entries[index].isSameWriter(as: me) {
            entries[index].fields = entries[index].fields.subtracting(changed)
        }
        if let index = entries.firstIndex(where: { $0.isSameWriter(as: me) }) {
            if !changed.isEmpty { entries[index] = ManagedFieldsEntry(manager: manager, operation: "Update", apiVersion: me.apiVersion, time: me.time, subresource: subresource, fields: entries[index].fields.union(changed)) }
        } else if !changed.isEmpty {
            entries.append(me)
        }
        entries = entries.filter { !$0.fields.isEmpty }
        // An object being deleted goes once its last finalizer is removed.
        if live["metadata"]?["deletionTimestamp"] != nil, (candidate["metadata"]?["finalizers"]?.arrayValue ?? []).isEmpty {
            var final = candidate.replacing(["metadata", "finalizers"], with: nil)
            let sortedEntries = ManagedFieldsEntry.sorted(entries)
            final = final.replacing(["metadata", "managedFields"], with: sortedEntries.isEmpty ? nil : .array(sortedEntries.map(\.json)))
            if dryRun { return Self.canonical(final, served) }
            // The answer is the object as last stored (its resourceVersion unchanged, as the
            // server answers); the DELETED event carries the deletion's version.
            let version = nextResourceVersion()
            let removed = Self.canonical(final.replacing(["metadata", "resourceVersion"], with: .string(String(version))), served)
            try commitRemoval(key, lastState: removed, version: version)
            return Self.canonical(final, served)
        }
        return try write(served, key: key, live: live, candidate: candidate, entries: entries, now: now, dryRun: dryRun).value
    }

    static func applyMergePatch(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let changes) = patch else { return patch }
        var members = target.objectValue ?? [:]
        for (key, value) in changes {
            if value == .null {
                members[key] = nil
            } else {
                members[key] = applyMergePatch(value, to: members[key] ?? .null)
            }
        }
        return .object(members)
    }

    static func removing(_ path: FieldPath, from value: JSONValue) -> JSONValue {
        guard let first = path.components.first else { return value }
        let rest = FieldPath(Array(path.components.dropFirst()))
        switch (first, value) {
        case (.key(let key), .object(var members)):
            if rest.isRoot { members[key] = nil } else if let child = members[key] { members[key] = removing(rest, from: child) }
            return .object(members)
        case (.index(let index), .array(var items)) where items.indices.contains(index):
            items[index] = removing(rest, from: items[index])
            return .array(items)
        default:
            return value
        }
    }

    /// DELETE. Returns the object when its deletion is pending (finalizers), else a Status.
    func delete(_ served: Served, namespace: String?, name: String, options: DeleteOptions) throws(APIError) -> (value: JSONValue, pending: Bool) {
        let key = storeKey(served, namespace: namespace, name: name)
        guard let live = objects[key]?.value else { throw APIError.notFound(served.resource, name: name) }
        let uid = live["metadata"]?["uid"]?.stringValue ?? ""
        let version = live["metadata"]?["resourceVersion"]?.stringValue ?? ""
        if let wanted = options.preconditionUID, wanted != uid {
            throw APIError.conflict(served.resource, name: name,
                "the UID in the precondition (\(wanted)) does not match the UID in record (\(uid)). The object might have been deleted and then recreated")
        }
        if let wanted = options.preconditionResourceVersion, wanted != version {
            throw APIError.conflict(served.resource, name: name,
                "the ResourceVersion in the precondition (\(wanted)) does not match the ResourceVersion in record (\(version)). The object might have been modified")
        }
        var finalizers = live["metadata"]?["finalizers"]?.arrayValue ?? []
        if options.propagationPolicy == .foreground, !finalizers.contains(.string(Self.foregroundFinalizer)) {
            finalizers.append(.string(Self.foregroundFinalizer))
        }
        if options.propagationPolicy == .orphan, !finalizers.contains(.string(Self.orphanFinalizer)) {
            finalizers.append(.string(Self.orphanFinalizer))
        }
        if !finalizers.isEmpty {
            if live["metadata"]?["deletionTimestamp"] != nil { return (live, true) }
            var object = live.replacing(["metadata", "finalizers"], with: .array(finalizers))
            object = object.replacing(["metadata", "deletionTimestamp"], with: .string(timestamp()))
            object = object.replacing(["metadata", "deletionGracePeriodSeconds"], with: 0)
            if !CoreKinds.isCore(served.entry) {
                object = object.replacing(["metadata", "generation"], with: .integer((live["metadata"]?["generation"]?.integerValue ?? 0) + 1))
            }
            if options.dryRun { return (Self.canonical(object, served), true) }
            let next = nextResourceVersion()
            object = Self.canonical(object.replacing(["metadata", "resourceVersion"], with: .string(String(next))), served)
            try commit(key, object, version: next, type: "MODIFIED")
            return (object, true)
        }
        if options.dryRun { return (live, false) }
        // A namespace takes its objects with it (the namespace controller's work, done at once here).
        if served.entry.kind == "Namespace", served.entry.group.isEmpty {
            for (objectKey, stored) in objects where objectKey.namespace == name {
                try commitRemoval(objectKey, lastState: stored.value, version: nextResourceVersion())
            }
        }
        let next = nextResourceVersion()
        try commitRemoval(key, lastState: live.replacing(["metadata", "resourceVersion"], with: .string(String(next))), version: next)
        return (live, false)
    }

    /// The Status a completed delete answers with.
    static func deletedStatus(_ served: Served, name: String, uid: String) -> JSONValue {
        var details: JSONValue = ["name": .string(name)]
        if !served.entry.group.isEmpty { details = details.setting("group", .string(served.entry.group)) }
        details = details.setting("kind", .string(served.entry.plural)).setting("uid", .string(uid))
        return ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "details": details]
    }
}

extension EmbeddedCluster {
    /// PUT: replaces the object (or its status); `metadata.resourceVersion`, when given, must be
    /// the current one.
    func replace(
        _ served: Served, namespace: String?, name: String, body: JSONValue, manager: String, subresource: String?, dryRun: Bool
    ) throws(APIError) -> JSONValue {
        try checkIdentity(body, served, namespace: namespace, name: name)
        let key = storeKey(served, namespace: namespace, name: name)
        guard let live = objects[key]?.value else {
            if subresource != nil { throw APIError.notFound(served.resource, name: name) }
            return try create(served, namespace: namespace, body: body, manager: manager, dryRun: dryRun)
        }
        if let wanted = body["metadata"]?["resourceVersion"]?.stringValue, !wanted.isEmpty,
            wanted != live["metadata"]?["resourceVersion"]?.stringValue
        {
            throw APIError.conflict(served.resource, name: name, byResource: true,
                "the object has been modified; please apply your changes to the latest version and try again")
        }
        var candidate = SchemaValidator().applyingDefaults(to: pruned(body, served), schema: served.schema)
        for path in SchemaValidator().unknownFields(candidate, against: served.schema) { candidate = Self.removing(path, from: candidate) }
        if subresource == "status" {
            candidate = live.setting("status", candidate["status"])
        } else if served.entry.statusSubresource {
            candidate = candidate.setting("status", live["status"])
        }
        candidate = candidate.replacing(["metadata", "managedFields"], with: live["metadata"]?["managedFields"])
        return try update(served, key: key, live: live, candidate: candidate, manager: manager, subresource: subresource, dryRun: dryRun)
    }
}
