import OrderedCollections
import SluiceModel

/// Kubernetes strategic merge patch as kustomize applies it: maps merge, `null` deletes, lists
/// with a merge key in the built-in schemas merge item by item (patch items first, in the
/// patch's order, then the untouched originals), every other list is replaced. Directives:
/// `$patch: replace|delete|merge`, `$deleteFromPrimitiveList/<key>`, `$setElementOrder/<key>`
/// (accepted; the order kustomize prints does not depend on it). `$retainKeys` is kept as a
/// plain field, exactly as kustomize v5 does.
struct StrategicMerge {
    let kind: String

    /// Kinds whose lists follow the built-in schemas' merge keys. Custom resources (HTTPRoute
    /// included) have no such schema, so kustomize replaces their lists whole.
    static let builtInKinds: Set<String> = [
        "Pod", "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "CronJob", "ReplicationController",
        "PodTemplate", "Service",
    ]

    /// The merge key of the list at `path`, or nil for a list that is replaced.
    func mergeKey(_ path: [String]) -> String? {
        guard let last = path.last else { return nil }
        if last == "ownerReferences" { return "uid" }
        guard Self.builtInKinds.contains(kind) else { return nil }
        switch last {
        case "containers", "initContainers", "ephemeralContainers", "env", "volumes", "imagePullSecrets",
            "resourceClaims", "schedulingGates":
            return "name"
        case "volumeMounts": return "mountPath"
        case "volumeDevices": return "devicePath"
        case "hostAliases": return "ip"
        case "topologySpreadConstraints": return "topologyKey"
        case "readinessGates": return "conditionType"
        case "conditions": return "type"
        case "ports":
            if kind == "Service" && path == ["spec", "ports"] { return "port" }
            return path.contains("containers") || path.contains("initContainers") || path.contains("ephemeralContainers")
                ? "containerPort" : nil
        default: return nil
        }
    }

    /// The merged value; nil when the patch deletes it.
    func merge(_ original: JSONValue, _ patch: JSONValue, path: [String]) -> JSONValue? {
        switch patch {
        case .object(let members):
            if let directive = members["$patch"]?.stringValue {
                if directive == "delete" { return nil }
                if directive == "replace" { return Self.strip(.object(members)) }
            }
            guard case .object(var result) = original else { return Self.strip(patch) }
            for (key, value) in members {
                if key == "$patch" || key.hasPrefix("$setElementOrder/") { continue }
                if key.hasPrefix("$deleteFromPrimitiveList/") {
                    let field = String(key.dropFirst("$deleteFromPrimitiveList/".count))
                    let drop = value.arrayValue ?? []
                    if case .array(let items) = result[field] ?? .null {
                        result[field] = .array(items.filter { !drop.contains($0) })
                    }
                    continue
                }
                if value.isNull {
                    result[key] = nil
                    continue
                }
                if let existing = result[key] {
                    result[key] = merge(existing, value, path: path + [key])
                } else if let added = Self.strip(value), !Self.isDelete(value) {
                    result[key] = added
                }
            }
            return .object(result)
        case .array(let items):
            guard case .array(let originalItems) = original, let key = mergeKey(path) else { return Self.strip(patch) }
            return .array(mergeList(originalItems, items, key: key, path: path))
        default:
            return patch
        }
    }

    private func mergeList(_ original: [JSONValue], _ patch: [JSONValue], key: String, path: [String]) -> [JSONValue] {
        if patch.contains(where: { $0.objectValue?["$patch"]?.stringValue == "replace" }) {
            return patch.filter { $0.objectValue?["$patch"]?.stringValue != "replace" }.compactMap(Self.strip)
        }
        var result: [JSONValue] = []
        var used = Set<Int>()
        var deleted = Set<Int>()
        for item in patch {
            guard let members = item.objectValue, let value = members[key] else {
                if let stripped = Self.strip(item) { result.append(stripped) }
                continue
            }
            let match = original.indices.first { !used.contains($0) && original[$0].objectValue?[key] == value }
            if Self.isDelete(item) {
                if let match { deleted.insert(match) }
                continue
            }
            if let match {
                used.insert(match)
                if let merged = merge(original[match], item, path: path) { result.append(merged) }
            } else if let stripped = Self.strip(item) {
                result.append(stripped)
            }
        }
        for (index, item) in original.enumerated() where !used.contains(index) && !deleted.contains(index) {
            result.append(item)
        }
        return result
    }

    /// `$retainKeys` is not one: kustomize keeps it as an ordinary field and retains nothing.
    static func isDirective(_ key: String) -> Bool {
        key == "$patch" || key.hasPrefix("$setElementOrder/") || key.hasPrefix("$deleteFromPrimitiveList/")
    }

    static func isDelete(_ value: JSONValue) -> Bool {
        value.objectValue?["$patch"]?.stringValue == "delete"
    }

    /// The value with every directive removed.
    static func strip(_ value: JSONValue) -> JSONValue? {
        // Most patches hold no directive: their values are then shared by every target they are
        // merged into (copied only by a later change), not rebuilt once for each.
        guard hasDirective(value) else { return value }
        switch value {
        case .object(let members):
            var result: JSONObject = [:]
            for (key, child) in members where !isDirective(key) {
                if let stripped = strip(child) { result[key] = stripped }
            }
            return .object(result)
        case .array(let items):
            return .array(items.compactMap(strip))
        default:
            return value
        }
    }

    /// Whether `value` holds a directive anywhere.
    static func hasDirective(_ value: JSONValue) -> Bool {
        switch value {
        case .object(let members):
            members.contains { isDirective($0.key) || hasDirective($0.value) }
        case .array(let items):
            items.contains(where: hasDirective)
        default:
            false
        }
    }
}
