import OrderedCollections
import SluiceModel

extension EmbeddedCluster {
    func storeKey(_ served: Served, namespace: String?, name: String) -> ObjectStore.Key {
        ObjectStore.Key(group: served.entry.group, resource: served.entry.plural, namespace: served.entry.namespaced ? namespace : nil, name: name)
    }

    func requireNamespace(_ served: Served, _ namespace: String?) throws(APIError) {
        guard served.entry.namespaced, let namespace else { return }
        let key = ObjectStore.Key(group: "", resource: "namespaces", namespace: nil, name: namespace)
        guard objects[key] != nil else { throw APIError.namespaceNotFound(namespace) }
    }

    /// Checks that a body names the kind, name and namespace of the URL, as the server does first.
    func checkIdentity(_ body: JSONValue, _ served: Served, namespace: String?, name: String?) throws(APIError) {
        let apiVersion = body["apiVersion"]?.stringValue ?? ""
        let kind = body["kind"]?.stringValue ?? ""
        guard apiVersion == served.entry.apiVersion, kind == served.entry.kind else {
            let groupVersion = apiVersion.contains("/") ? apiVersion : "/" + apiVersion
            throw APIError.badRequest("invalid object type: \(groupVersion), Kind=\(kind)")
        }
        if let name, let bodyName = body["metadata"]?["name"]?.stringValue, bodyName != name {
            throw APIError.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        if served.entry.namespaced, let namespace, let bodyNamespace = body["metadata"]?["namespace"]?.stringValue,
            !bodyNamespace.isEmpty, bodyNamespace != namespace
        {
            throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
    }

    /// The part of an applied body a manager can own: no apiVersion/kind, only the user-settable
    /// metadata, and the status only through the status subresource (the rest only outside it).
    func applyConfiguration(_ body: JSONValue, _ served: Served, subresource: String?) -> JSONValue {
        var members = body.objectValue ?? [:]
        members["apiVersion"] = nil
        members["kind"] = nil
        var metadata = JSONObject()
        for (key, value) in members["metadata"]?.objectValue ?? [:]
        where ["labels", "annotations", "finalizers", "ownerReferences"].contains(key) {
            metadata[key] = value
        }
        members["metadata"] = metadata.isEmpty ? nil : .object(metadata)
        if subresource == "status" {
            members = members.filter { $0.key == "status" }
        } else if served.entry.statusSubresource {
            members["status"] = nil
        }
        return .object(members)
    }

    /// Server-side apply (PATCH `application/apply-patch+yaml`). Returns the object as stored,
    /// or as it would be for a dry run, and whether it was created.
    func apply(
        _ served: Served, namespace: String?, name: String, body: JSONValue, options: ApplyOptions, subresource: String?
    ) throws(APIError) -> (value: JSONValue, created: Bool) {
        try checkIdentity(body, served, namespace: namespace, name: name)
        try requireNamespace(served, namespace)
        let unknown = SchemaValidator().unknownFields(body, against: served.schema)
        if let first = unknown.first {
            let place = served.entry.namespaced ? "\(namespace ?? "")/\(name)" : name
            throw APIError.internalError(
                "failed to create typed patch object (\(place); \(served.resource)): .\(first): field not declared in schema")
        }
        let key = storeKey(served, namespace: namespace, name: name)
        let live = objects[key]?.value
        if live == nil, subresource != nil { throw APIError.notFound(served.resource, name: name) }
        if let wanted = body["metadata"]?["resourceVersion"]?.stringValue, !wanted.isEmpty,
            wanted != live?["metadata"]?["resourceVersion"]?.stringValue
        {
            if live == nil { throw APIError.notFound(served.resource, name: name) }
            throw APIError.conflict(served.resource, name: name, byResource: true,
                "the object has been modified; please apply your changes to the latest version and try again")
        }

        let configuration = applyConfiguration(body, served, subresource: subresource)
        let applied = StructuredMerge.fieldSet(of: configuration, schema: served.schema)
        let base = live ?? newObject(served, namespace: namespace, name: name)
        var entries = ManagedFieldsEntry.entries(of: base["metadata"])
        let now = timestamp()
        let me = ManagedFieldsEntry(
            manager: options.fieldManager, operation: "Apply", apiVersion: served.entry.apiVersion, time: now,
            subresource: subresource, fields: applied)
        let previous = entries.firstIndex { $0.isSameWriter(as: me) }

        var merged = StructuredMerge.merge(base, configuration, schema: served.schema)
        if let previous {
            var others = FieldSet()
            for (index, entry) in entries.enumerated() where index != previous { others = others.union(entry.fields) }
            let dropped = entries[previous].fields.subtracting(applied).subtracting(others)
            merged = StructuredMerge.removing(dropped, from: merged, schema: served.schema) ?? merged
        }
        merged = SchemaValidator().applyingDefaults(to: merged, schema: served.schema)

        // Conflicts: fields this apply changes that another writer owns.
        let changed = StructuredMerge.changes(from: live, to: merged, schema: served.schema).intersection(applied)
        var conflicts: [(entry: Int, paths: [[PathElement]])] = []
        for (index, entry) in entries.enumerated() where index != previous {
            let owned = entry.fields.intersection(changed)
            if !owned.isEmpty { conflicts.append((index, owned.paths)) }
        }
        if !conflicts.isEmpty {
            if !options.force { throw Self.conflictError(conflicts.map { (entries[$0.entry], $0.paths) }) }
            for conflict in conflicts {
                var owned = FieldSet()
                for path in conflict.paths { owned.insert(path) }
                entries[conflict.entry].fields = entries[conflict.entry].fields.subtracting(owned)
            }
        }
        if let previous {
            // An apply carrying metadata.resourceVersion refreshes the manager's time even when
            // nothing else changes (a write, as the recording of 11.3 shows); otherwise an
            // unchanged apply keeps its entry and writes nothing.
            let precondition = !(body["metadata"]?["resourceVersion"]?.stringValue ?? "").isEmpty
            let unchanged = entries[previous].fields == applied && merged.sortedKeys == base.sortedKeys && !precondition
            entries[previous] = unchanged ? entries[previous] : me
        } else {
            entries.append(me)
        }
        entries = entries.filter { !$0.fields.isEmpty }
        return try write(served, key: key, live: live, candidate: merged, entries: entries, now: now, dryRun: options.dryRun)
    }

    static func conflictError(_ conflicts: [(ManagedFieldsEntry, [[PathElement]])]) -> APIError {
        var causes: [APIError.Cause] = []
        for (entry, paths) in conflicts {
            for path in paths {
                causes.append(APIError.Cause(reason: "FieldManagerConflict", message: "conflict with \(entry.conflictName)", field: path.pathText))
            }
        }
        let message: String
        if causes.count == 1 {
            message = "Apply failed with 1 conflict: \(causes[0].message): \(causes[0].field ?? "")"
        } else {
            var lines: [String] = []
            for (entry, paths) in conflicts.sorted(by: { $0.0.manager < $1.0.manager }) {
                lines.append("conflicts with \(entry.conflictName):")
                lines += paths.map { "- " + $0.pathText }
            }
            message = "Apply failed with \(causes.count) conflicts: " + lines.joined(separator: "\n")
        }
        return APIError(code: 409, reason: "Conflict", message: message, details: APIError.Details(causes: causes))
    }

    /// The skeleton of an object about to be created.
    func newObject(_ served: Served, namespace: String?, name: String) -> JSONValue {
        var metadata: JSONValue = ["name": .string(name)]
        if served.entry.namespaced, let namespace { metadata = metadata.setting("namespace", .string(namespace)) }
        return ["apiVersion": .string(served.entry.apiVersion), "kind": .string(served.entry.kind), "metadata": metadata]
    }

    /// Validates `candidate`, stamps its metadata (uid, resourceVersion, generation,
    /// managedFields) and stores it unless nothing changed or it is a dry run.
    func write(
        _ served: Served, key: ObjectStore.Key, live: JSONValue?, candidate: JSONValue, entries: [ManagedFieldsEntry],
        now: String, dryRun: Bool
    ) throws(APIError) -> (value: JSONValue, created: Bool) {
        // A manager whose fields changed gets the request's time, as the API server stamps it.
        let before = ManagedFieldsEntry.entries(of: live?["metadata"])
        let entries = entries.map { entry in
            var entry = entry
            if before.first(where: { $0.isSameWriter(as: entry) })?.fields != entry.fields { entry.time = now }
            return entry
        }
        var object = candidate.setting("apiVersion", .string(served.entry.apiVersion)).setting("kind", .string(served.entry.kind))
        if let errors = schemas.problems(in: Object(object.objectValue ?? [:]), old: live.map { Object($0.objectValue ?? [:]) }),
            !errors.isEmpty
        {
            let relevant = errors.filter { !(served.entry.kind == "EndpointSlice" && $0.detail.contains("loopback")) }
            if !relevant.isEmpty { throw APIError.invalid(served.resource, name: key.name, errors: relevant) }
        }
        var metadata = object["metadata"]?.objectValue ?? [:]
        let sortedEntries = ManagedFieldsEntry.sorted(entries)
        metadata["managedFields"] = sortedEntries.isEmpty ? nil : .array(sortedEntries.map(\.json))
        let tracksGeneration = !CoreKinds.isCore(served.entry)
        if let live {
            let liveMetadata = live["metadata"]?.objectValue ?? [:]
            for field in ["uid", "creationTimestamp", "resourceVersion", "generation", "deletionTimestamp", "deletionGracePeriodSeconds"] {
                metadata[field] = liveMetadata[field]
            }
            if tracksGeneration, Self.specChanged(from: live, to: object) {
                metadata["generation"] = .integer((liveMetadata["generation"]?.integerValue ?? 0) + 1)
            }
            object = object.setting("metadata", .object(metadata))
            if object.sortedKeys == live.sortedKeys { return (Self.canonical(live, served), false) }
        } else {
            metadata["uid"] = .string(UUIDText.random())
            metadata["creationTimestamp"] = .string(timestamp())
            if tracksGeneration { metadata["generation"] = 1 }
            object = object.setting("metadata", .object(metadata))
        }
        if dryRun { return (Self.canonical(object, served), live == nil) }
        let version = nextResourceVersion()
        metadata["resourceVersion"] = .string(String(version))
        object = Self.canonical(object.setting("metadata", .object(metadata)), served)
        try commit(key, object, version: version, type: live == nil ? "ADDED" : "MODIFIED")
        if served.entry.kind == "CustomResourceDefinition" {
            registerCRD(object)
            object = try establish(object, served: served)
        }
        return (object, live == nil)
    }

    /// Whether anything but metadata and status changed (what bumps `generation`).
    static func specChanged(from old: JSONValue, to new: JSONValue) -> Bool {
        let strip: (JSONValue) -> [String: JSONValue] = { value in
            var members: [String: JSONValue] = [:]
            for (key, member) in value.objectValue ?? [:] where !["metadata", "status", "apiVersion", "kind"].contains(key) {
                members[key] = member.sortedKeys
            }
            return members
        }
        return strip(old) != strip(new)
    }

    /// The object as the server writes it: custom resources with sorted keys, core kinds in the
    /// field order of their Go types.
    static func canonical(_ value: JSONValue, _ served: Served) -> JSONValue {
        guard !served.isCustom else { return value.sortedKeys }
        return CoreOrder.ordered(value)
    }
}

/// Random RFC 4122 version 4 identifiers, in the lower-case form the API server uses.
enum UUIDText {
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String($0, radix: 16).leftPadded2 }
        return hex[0..<4].joined() + "-" + hex[4..<6].joined() + "-" + hex[6..<8].joined() + "-" + hex[8..<10].joined() + "-"
            + hex[10..<16].joined()
    }
}

extension String {
    var leftPadded2: String { count < 2 ? "0" + self : self }
}
