import Foundation
import SluiceModel

/// kube-apiserver's `--audit-log-path` at level `Metadata`: one `audit.k8s.io/v1` Event per
/// request, as a JSON line — who asked (user agent), what (verb, resource, namespace, name) and
/// the answer's code. Never a request or response body, so no Secret data reaches it.
///
/// Tests compare it with deploy/rbac.yaml: the calls Sluice really makes, not a list kept by hand.
actor AuditLog {
    private let handle: FileHandle
    private var sequence = 0

    struct OpenFailure: Error, CustomStringConvertible {
        var description: String
    }

    init(path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw OpenFailure(description: "cannot open the audit log \(path): \(String(cString: strerror(errno)))")
        }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    func record(method: String, target: String, query: [String: String], userAgent: String?, code: Int) {
        sequence += 1
        let attributes = RequestAttributes(method: method, path: target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target, query: query)
        var event: JSONValue = [
            "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": .string(String(sequence)),
            "stage": "ResponseComplete", "requestURI": .string(target), "verb": .string(attributes.verb),
            "userAgent": .string(userAgent ?? ""),
        ]
        if attributes.isResourceRequest {
            var reference: JSONValue = ["resource": .string(attributes.resource)]
            if !attributes.namespace.isEmpty { reference = reference.setting("namespace", .string(attributes.namespace)) }
            if !attributes.name.isEmpty { reference = reference.setting("name", .string(attributes.name)) }
            reference = reference.setting("apiGroup", .string(attributes.apiGroup)).setting("apiVersion", .string(attributes.apiVersion))
            if !attributes.subresource.isEmpty { reference = reference.setting("subresource", .string(attributes.subresource)) }
            event = event.setting("objectRef", reference)
        }
        event = event.setting("responseStatus", ["code": .integer(Int64(code))])
            .setting("requestReceivedTimestamp", .string(KubernetesTime.time(Date())))
        handle.write(Data((event.jsonText() + "\n").utf8))
    }
}
