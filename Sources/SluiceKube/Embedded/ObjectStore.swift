import SluiceModel

/// Where an object lives in the store: group, resource, namespace (nil for cluster-scoped
/// kinds) and name.
enum ObjectStore {
    struct Key: Hashable, Comparable, Sendable {
        var group: String
        var resource: String
        var namespace: String?
        var name: String

        init(group: String, resource: String, namespace: String?, name: String) {
            self.group = group
            self.resource = resource
            self.namespace = namespace
            self.name = name
        }

        init?(_ value: JSONValue) {
            guard let group = value["group"]?.stringValue, let resource = value["resource"]?.stringValue,
                let name = value["name"]?.stringValue
            else { return nil }
            self.init(group: group, resource: resource, namespace: value["namespace"]?.stringValue, name: name)
        }

        var json: JSONValue {
            var value: JSONValue = ["group": .string(group), "resource": .string(resource), "name": .string(name)]
            if let namespace { value = value.setting("namespace", .string(namespace)) }
            return value
        }

        static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.group, lhs.resource, lhs.namespace ?? "", lhs.name) < (rhs.group, rhs.resource, rhs.namespace ?? "", rhs.name)
        }
    }
}
