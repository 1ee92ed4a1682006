import SluiceModel

/// A kind as the API serves it: group, version, kind, the plural used in paths, and its scope.
public struct ResourceKind: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var version: String
    public var kind: String
    public var plural: String
    public var namespaced: Bool

    public init(group: String, version: String, kind: String, plural: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced
    }

    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `httproutes.gateway.networking.k8s.io`, or `namespaces` for the core group, as Status
    /// messages name a resource.
    public var qualifiedResource: String { group.isEmpty ? plural : "\(plural).\(group)" }

    /// `HTTPRoute.gateway.networking.k8s.io`, or `Namespace`, as 422 and 409 messages name a kind.
    public var qualifiedKind: String { group.isEmpty ? kind : "\(kind).\(group)" }

    /// The path of the collection: `/apis/g/v/namespaces/ns/plural` or `/api/v1/plural`.
    public func collectionPath(namespace: String?) -> String {
        let root = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace { return "\(root)/namespaces/\(namespace)/\(plural)" }
        return "\(root)/\(plural)"
    }

    public func objectPath(namespace: String?, name: String) -> String {
        collectionPath(namespace: namespace) + "/" + name
    }

    public var description: String { "\(apiVersion), Kind=\(kind)" }

    /// The kind of `entry`, from SluiceModel's catalog.
    public init(_ entry: KindCatalog.Entry) {
        self.init(group: entry.group, version: entry.version, kind: entry.kind, plural: entry.plural, namespaced: entry.namespaced)
    }
}
