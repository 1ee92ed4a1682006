import SluiceModel

/// The discovery documents (`/version`, `/api`, `/apis`, `/apis/<group>`, resource lists) that
/// kubectl and `KubeCluster` read to map kinds to resources.
enum Discovery {
    static let version: JSONValue = [
        "major": "1", "minor": "36", "emulationMajor": "1", "emulationMinor": "36", "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "35", "gitVersion": "v1.36.2-sluice", "gitCommit": "", "gitTreeState": "clean",
        "buildDate": "1970-01-01T00:00:00Z", "goVersion": "", "compiler": "swift", "platform": "linux/amd64",
    ]

    static let coreVersions: JSONValue = [
        "kind": "APIVersions", "versions": ["v1"],
        "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"]],
    ]

    /// Kubernetes' version order: GA before beta before alpha, higher numbers first.
    static func priority(_ version: String) -> (Int, Int, Int) {
        let scanner = Array(version.dropFirst())
        let major = Int(String(scanner.prefix { $0.isNumber })) ?? 0
        let rest = String(scanner.drop { $0.isNumber })
        if rest.isEmpty { return (3, major, 0) }
        let minor = Int(String(rest.drop { !$0.isNumber })) ?? 0
        return (rest.hasPrefix("beta") ? 2 : 1, major, minor)
    }

    static func versions(of group: String, _ kinds: [EmbeddedCluster.Served]) -> [String] {
        Array(Set(kinds.filter { $0.entry.group == group }.map(\.entry.version))).sorted { priority($0) > priority($1) }
    }

    static func group(_ name: String, _ kinds: [EmbeddedCluster.Served]) -> JSONValue? {
        let versions = versions(of: name, kinds)
        guard !name.isEmpty, let preferred = versions.first else { return nil }
        let entries: [JSONValue] = versions.map { ["groupVersion": .string("\(name)/\($0)"), "version": .string($0)] }
        return [
            "kind": "APIGroup", "apiVersion": "v1", "name": .string(name), "versions": .array(entries),
            "preferredVersion": ["groupVersion": .string("\(name)/\(preferred)"), "version": .string(preferred)],
        ]
    }

    static func groupList(_ kinds: [EmbeddedCluster.Served]) -> JSONValue {
        let names = Set(kinds.map(\.entry.group)).filter { !$0.isEmpty }.sorted()
        let groups: [JSONValue] = names.compactMap { name in
            group(name, kinds).map { $0.setting("kind", nil).setting("apiVersion", nil) }
        }
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups)]
    }

    static func resourceList(group: String, version: String, kinds: [EmbeddedCluster.Served]) -> JSONValue {
        var resources: [JSONValue] = []
        for served in kinds.filter({ $0.entry.group == group && $0.entry.version == version }).sorted(by: { $0.entry.plural < $1.entry.plural }) {
            let entry = served.entry
            var resource: JSONValue = [
                "name": .string(entry.plural), "singularName": .string(entry.singular), "namespaced": .bool(entry.namespaced),
                "kind": .string(entry.kind),
                "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
            ]
            if !entry.shortNames.isEmpty { resource = resource.setting("shortNames", .array(entry.shortNames.map(JSONValue.string))) }
            resources.append(resource)
            if entry.statusSubresource {
                resources.append([
                    "name": .string(entry.plural + "/status"), "singularName": "", "namespaced": .bool(entry.namespaced),
                    "kind": .string(entry.kind), "verbs": ["get", "patch", "update"],
                ])
            }
        }
        return [
            "kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"), "resources": .array(resources),
        ]
    }
}
