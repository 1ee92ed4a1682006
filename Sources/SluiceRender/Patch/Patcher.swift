import OrderedCollections
import SluiceModel

/// The three ways a kustomization patches: `patchesStrategicMerge`, `patches` (strategic merge
/// or JSON 6902, with an optional target selector) and `patchesJson6902`.
struct Patcher {
    let builder: Builder
    let kustomization: Kustomization

    func strategicMergePatches(on resources: inout [Resource]) throws(RenderError) {
        for (index, entry) in try kustomization.strings("patchesStrategicMerge").enumerated() {
            let location = kustomization.location(of: "patchesStrategicMerge", .index(index))
            let (text, file) = try content(entry, at: location)
            for patch in try documents(text, file: file, at: location) {
                guard case .object = patch.value else {
                    throw RenderError("a strategic merge patch must be a mapping", at: patch.location)
                }
                try applyStrategicMerge(patch, target: nil, to: &resources, at: location)
            }
        }
    }

    func patches(on resources: inout [Resource]) throws(RenderError) {
        for (index, entry) in try kustomization.list("patches").enumerated() {
            let location = kustomization.location(of: "patches", .index(index))
            guard let members = entry.objectValue else {
                throw RenderError("invalid Kustomization: patches[\(index)] must be a mapping", at: location)
            }
            for key in members.keys where !["path", "patch", "target", "options"].contains(key) {
                throw RenderError("invalid Kustomization: json: unknown field \"\(key)\"", at: location)
            }
            let text: String
            let file: String
            if let path = members["path"]?.stringValue {
                if members["patch"] != nil {
                    throw RenderError("patch and path can't be set at the same time", at: location)
                }
                let loaded = try builder.loadFile(path, from: kustomization, at: location)
                (text, file) = (loaded.text, loaded.path)
            } else if let inline = members["patch"]?.stringValue {
                (text, file) = (inline, kustomization.file)
            } else {
                throw RenderError("must specify one of patch and path in patches[\(index)]", at: location)
            }
            let target = try members["target"].map { value throws(RenderError) in try Selector(value, at: location) }
            let options = members["options"]?.objectValue ?? [:]
            let documents = try documents(text, file: file, at: location)
            if documents.count == 1, case .array = documents[0].value {
                guard let target else {
                    throw RenderError("unable to apply JSON 6902 patch: must specify a target for JSON patch", at: location)
                }
                let operations = try Self.jsonPatch(documents[0])
                for position in resources.indices where target.matches(resources[position]) {
                    try apply(operations, to: &resources[position], options: options)
                }
                continue
            }
            for patch in documents {
                guard case .object = patch.value else {
                    throw RenderError("a patch must be a mapping (strategic merge) or a list of operations (JSON 6902)", at: patch.location)
                }
                try applyStrategicMerge(patch, target: target, to: &resources, at: location, options: options)
            }
        }
    }

    func json6902Patches(on resources: inout [Resource]) throws(RenderError) {
        for (index, entry) in try kustomization.list("patchesJson6902").enumerated() {
            let location = kustomization.location(of: "patchesJson6902", .index(index))
            guard let members = entry.objectValue, let targetValue = members["target"] else {
                throw RenderError("invalid Kustomization: patchesJson6902[\(index)] needs a target", at: location)
            }
            let target = try Selector(targetValue, at: location, exactName: true)
            let text: String
            let file: String
            if let path = members["path"]?.stringValue {
                let loaded = try builder.loadFile(path, from: kustomization, at: location)
                (text, file) = (loaded.text, loaded.path)
            } else if let inline = members["patch"]?.stringValue {
                (text, file) = (inline, kustomization.file)
            } else {
                throw RenderError("must specify one of patch and path in patchesJson6902[\(index)]", at: location)
            }
            let documents = try documents(text, file: file, at: location)
            guard documents.count == 1 else {
                throw RenderError("a JSON 6902 patch is one list of operations", at: location)
            }
            let operations = try Self.jsonPatch(documents[0])
            for position in resources.indices where target.matches(resources[position]) {
                try apply(operations, to: &resources[position], options: [:])
            }
        }
    }

    private static func jsonPatch(_ document: YAMLDecoder.Document) throws(RenderError) -> (operations: JSONPatch, location: SourceLocation) {
        do {
            return (try JSONPatch(document.value), document.location)
        } catch {
            throw RenderError(error.message, at: document.location)
        }
    }

    private func apply(_ patch: (operations: JSONPatch, location: SourceLocation), to resource: inout Resource, options: JSONObject) throws(RenderError) {
        let before = resource.object
        var value = JSONValue.object(resource.object.content)
        do {
            try patch.operations.apply(to: &value)
        } catch {
            throw RenderError("unable to apply JSON patch to \(resource.object.reference): \(error.message)", at: patch.location)
        }
        guard case .object(let members) = value else { return }
        resource.object.content = members
        try keepIdentity(&resource, before: before, options: options)
    }

    /// A patch may not rename or re-kind its target unless told it may; a rename it is allowed
    /// is remembered so that references follow it.
    private func keepIdentity(_ resource: inout Resource, before: Object, options: JSONObject) throws(RenderError) {
        let newName = resource.object.name
        if newName != before.name {
            if options["allowNameChange"]?.boolValue == true {
                resource.object.name = before.name
                resource.rename(newName)
            } else {
                resource.object.name = before.name
            }
        }
        if resource.object.kind != before.kind, options["allowKindChange"]?.boolValue != true {
            resource.object.content["kind"] = .string(before.kind)
        }
    }

    private func applyStrategicMerge(
        _ patch: YAMLDecoder.Document, target: Selector?, to resources: inout [Resource], at location: SourceLocation,
        options: JSONObject = [:]
    ) throws(RenderError) {
        guard case .object(var members) = patch.value else { return }
        let patchObject = Object(members)
        var matched: [Int]
        if let target {
            matched = resources.indices.filter { target.matches(resources[$0]) }
        } else {
            matched = resources.indices.filter { index in
                let resource = resources[index]
                guard resource.kind == patchObject.kind, resource.group == patchObject.group,
                    resource.allNames.contains(patchObject.name)
                else { return false }
                if let namespace = patchObject.namespace {
                    let namespaces = (resource.previousNamespaces + [resource.object.namespace]).map { resource.effectiveNamespace($0) }
                    return namespaces.contains(resource.effectiveNamespace(namespace))
                }
                return true
            }
            if matched.count > 1 {
                // An exact match on the current name settles an ambiguity.
                let exact = matched.filter { resources[$0].name == patchObject.name }
                if exact.count == 1 { matched = exact }
            }
            guard matched.count == 1 else {
                let id = "\(patchObject.kind).\(patchObject.version).\(patchObject.group.isEmpty ? "[noGrp]" : patchObject.group)/\(patchObject.name).\(patchObject.namespace ?? "[noNs]")"
                if matched.isEmpty {
                    throw RenderError("no resource matches strategic merge patch \"\(id)\": failed to find unique target for patch \(id)", at: patch.location)
                }
                throw RenderError("multiple matches for Id \(id): failed to find unique target for patch \(id)", at: patch.location)
            }
        }
        // The patch's own name is how it found its target, not a change to it.
        if var metadata = members["metadata"]?.objectValue {
            metadata["name"] = nil
            if target != nil || patchObject.namespace != nil { metadata["namespace"] = nil }
            members["metadata"] = .object(metadata)
        }
        var removed: Set<Int> = []
        for index in matched {
            let before = resources[index].object
            let merger = StrategicMerge(kind: before.kind)
            guard let result = merger.merge(.object(before.content), .object(members), path: []) else {
                removed.insert(index)
                continue
            }
            guard case .object(let content) = result else { continue }
            resources[index].object.content = content
            try keepIdentity(&resources[index], before: before, options: options)
        }
        if !removed.isEmpty {
            resources = resources.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        }
    }

    /// A patch entry that is a file path or, failing that, inline YAML.
    private func content(_ entry: String, at location: SourceLocation) throws(RenderError) -> (String, String) {
        if !entry.contains("\n"), let joined = TreeReader.join(kustomization.directory, entry),
            let path = try? builder.tree.resolve(joined), builder.tree.isFile(path)
        {
            let loaded = try builder.loadFile(entry, from: kustomization, at: location)
            return (loaded.text, loaded.path)
        }
        if !entry.contains("\n") && !entry.contains(":") {
            throw RenderError("file not found: '\(entry)'", at: location)
        }
        return (entry, kustomization.file)
    }

    private func documents(_ text: String, file: String, at location: SourceLocation) throws(RenderError) -> [YAMLDecoder.Document] {
        do {
            return try YAMLDecoder().documents(text, file: file).filter { !$0.value.isNull }
        } catch {
            // Inline patches are parsed apart from their kustomization: lines count from the patch.
            throw RenderError(error)
        }
    }
}
