import OrderedCollections
import SluiceModel

/// One object on its way through the build, with what kustomize remembers about it: every name
/// and namespace it has had (references written against any of them are renamed at the end),
/// and, for generated ConfigMaps and Secrets, how they combine and whether a hash is appended.
struct Resource {
    var object: Object
    /// Earlier names and namespaces, oldest first (the current ones are the object's).
    var previous = EarlierIDs()
    var generator: GeneratorInfo?

    struct GeneratorInfo {
        var appendHash: Bool
    }

    init(_ object: Object) {
        self.object = object
    }

    var kind: String { object.kind }
    var group: String { object.group }
    var name: String { object.name }
    /// Earlier names, oldest first (the current name is `object.name`).
    var previousNames: [String] { previous.map(\.name) }
    /// The namespace before each earlier name's change, oldest first.
    var previousNamespaces: [String?] { previous.map(\.namespace) }
    var originalName: String { previous.first?.name ?? object.name }
    var originalNamespace: String? { previous.isEmpty ? object.namespace : previous[0].namespace }

    /// Every name this resource has carried, current one included.
    var allNames: [String] { previous.map(\.name) + [object.name] }

    mutating func rename(_ newName: String) {
        guard newName != object.name else { return }
        previous.append(EarlierIDs.Element(name: object.name, namespace: object.namespace))
        object.name = newName
    }

    mutating func setNamespace(_ namespace: String) {
        guard namespace != object.namespace else { return }
        previous.append(EarlierIDs.Element(name: object.name, namespace: object.namespace))
        object.namespace = namespace
    }

    /// kustomize's resource id: kind, group, namespace (empty is "default") and name.
    var id: ResourceID {
        ResourceID(group: group, version: object.version, kind: kind, namespace: effectiveNamespace(object.namespace), name: name)
    }

    func effectiveNamespace(_ namespace: String?) -> String {
        guard let namespace, !namespace.isEmpty else { return "default" }
        return namespace
    }

    /// `Deployment.v1.apps/web.[noNs]`, as kustomize prints ids in messages.
    var idDescription: String {
        let namespace = object.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "[noNs]"
        return "\(kind).\(object.version).\(group.isEmpty ? "[noGrp]" : group)/\(name).\(namespace)"
    }
}

/// The names and namespaces a resource had before its current ones, oldest first. Nearly every
/// resource of an overlay has one or two (a namespace, then a prefix): those are held in the
/// resource itself, as an array of them would be one more allocation for each of tens of
/// thousands of resources.
struct EarlierIDs: RandomAccessCollection, ExpressibleByArrayLiteral {
    struct Element {
        var name: String
        var namespace: String?
    }

    private var oldest: Element?
    private var second: Element?
    private var more: [Element] = []

    init() {}

    init(arrayLiteral elements: Element...) {
        for element in elements { append(element) }
    }

    var startIndex: Int { 0 }
    var endIndex: Int { oldest == nil ? 0 : second == nil ? 1 : 2 + more.count }

    subscript(position: Int) -> Element {
        switch position {
        case 0: oldest!
        case 1: second!
        default: more[position - 2]
        }
    }

    mutating func append(_ element: Element) {
        if oldest == nil {
            oldest = element
        } else if second == nil {
            second = element
        } else {
            more.append(element)
        }
    }
}

struct ResourceID: Hashable, CustomStringConvertible {
    var group: String
    var version: String
    var kind: String
    var namespace: String
    var name: String

    var description: String {
        "\(kind).\(version).\(group.isEmpty ? "[noGrp]" : group)/\(name).\(namespace)"
    }

    /// Equal as far as duplicates go: the version does not make a second object.
    var key: String { "\(group)|\(kind)|\(namespace)|\(name)" }
}

/// Kinds that have no namespace in kustomize's built-in schema; others — every custom kind,
/// GatewayClass included — are namespaced, as kustomize assumes without a schema.
enum ClusterScope {
    static let kinds: Set<String> = [
        "Namespace", "Node", "PersistentVolume", "StorageClass", "CustomResourceDefinition", "ClusterRole",
        "ClusterRoleBinding", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "APIService", "PriorityClass",
        "PodSecurityPolicy", "RuntimeClass", "CSIDriver", "CSINode", "VolumeAttachment", "IngressClass",
        "CertificateSigningRequest", "ComponentStatus", "FlowSchema",
        "PriorityLevelConfiguration", "TokenReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview",
        "SubjectAccessReview",
    ]

    static func isClusterScoped(_ kind: String) -> Bool { kinds.contains(kind) }
}
