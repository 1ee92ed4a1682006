import OrderedCollections
import SluiceModel

/// `images`: new names, tags and digests for container images, matched by image name.
struct Images {
    let kustomization: Kustomization

    struct Rule {
        var name: String
        var newName: String?
        var newTag: String?
        var digest: String?
    }

    func run(on resources: inout [Resource]) throws(RenderError) {
        var rules: [Rule] = []
        for (index, entry) in try kustomization.list("images").enumerated() {
            guard let members = entry.objectValue, let name = members["name"]?.stringValue else {
                throw RenderError("invalid Kustomization: images[\(index)] needs a name", at: kustomization.location(of: "images", .index(index)))
            }
            let tag: String? = switch members["newTag"] {
            case .string(let text): text
            case .integer(let number): String(number)
            case .number(let number): GoFloat.format(number)
            default: nil
            }
            rules.append(Rule(name: name, newName: members["newName"]?.stringValue, newTag: tag, digest: members["digest"]?.stringValue))
        }
        guard !rules.isEmpty else { return }
        for index in resources.indices {
            var value = JSONValue.object(resources[index].object.content)
            Self.visit(&value, rules: rules)
            if case .object(let members) = value { resources[index].object.content = members }
        }
    }

    /// Every `image` field of every container list, wherever it sits (kustomize walks
    /// containers and initContainers in any kind).
    static func visit(_ value: inout JSONValue, rules: [Rule]) {
        switch value {
        case .object(var members):
            for key in Array(members.keys) {
                guard var child = members[key] else { continue }
                if key == "containers" || key == "initContainers", case .array(var items) = child {
                    for item in items.indices {
                        if case .object(var container) = items[item], let image = container["image"]?.stringValue {
                            container["image"] = .string(update(image, rules: rules))
                            items[item] = .object(container)
                        }
                    }
                    child = .array(items)
                }
                members[key] = .null
                visit(&child, rules: rules)
                members[key] = child
            }
            value = .object(members)
        case .array(var items):
            for item in items.indices { visit(&items[item], rules: rules) }
            value = .array(items)
        default:
            break
        }
    }

    static func update(_ image: String, rules: [Rule]) -> String {
        var name = image
        var tag = ""
        var digest = ""
        if let at = name.firstIndex(of: "@") {
            digest = String(name[at...])
            name = String(name[..<at])
        }
        if let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") {
            tag = String(name[colon...])
            name = String(name[..<colon])
        }
        guard let rule = rules.first(where: { $0.name == name }) else { return image }
        if let newName = rule.newName { name = newName }
        if let newTag = rule.newTag {
            tag = ":" + newTag
            digest = ""
        }
        if let newDigest = rule.digest {
            digest = "@" + newDigest
            tag = ""
        }
        return name + tag + digest
    }
}

/// `replicas`: a count for Deployments, ReplicaSets, StatefulSets and ReplicationControllers by name.
struct Replicas {
    let kustomization: Kustomization
    static let kinds: Set<String> = ["Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"]

    func run(on resources: inout [Resource]) throws(RenderError) {
        for (index, entry) in try kustomization.list("replicas").enumerated() {
            let location = kustomization.location(of: "replicas", .index(index))
            guard let members = entry.objectValue, let name = members["name"]?.stringValue,
                let count = members["count"]?.integerValue
            else {
                throw RenderError("invalid Kustomization: replicas[\(index)] needs a name and an integer count", at: location)
            }
            for position in resources.indices
            where Self.kinds.contains(resources[position].kind) && resources[position].allNames.contains(name) {
                var spec = resources[position].object.content["spec"]?.objectValue ?? [:]
                spec["replicas"] = .integer(count)
                resources[position].object.content["spec"] = .object(spec)
            }
        }
    }
}
