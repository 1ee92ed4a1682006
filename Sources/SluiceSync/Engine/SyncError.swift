import SluiceKube
import SluiceModel

/// Why a sync stopped, by stage; each names the object and keeps the API server's answer.
public enum SyncError: Error, Sendable, CustomStringConvertible {
    /// Objects the API server would refuse; nothing was applied. One line per problem:
    /// `file:line: HTTPRoute demo/shop: spec.rules[0]...: message`.
    case validation(problems: [String])
    /// The revision renders nothing and pruning everything is not allowed; nothing was applied.
    case emptyRevision(EmptyRevisionGuard.Refusal)
    /// The API server refused an object (after the objects before it were applied).
    case apply(object: ObjectReference, underlying: APIError)
    /// A change to a field that cannot change; `sluice.dev/force: enabled` would recreate it.
    case immutableField(object: ObjectReference, underlying: APIError)
    /// A CRD or Namespace did not become ready in time, so the objects needing it were not applied.
    case notEstablished(object: ObjectReference, waited: Duration)
    /// Reading or writing the inventory, or deleting a pruned object, failed.
    case prune(object: ObjectReference, underlying: any Error)
    /// The cluster could not be reached or answered something unexpected.
    case cluster(stage: String, underlying: any Error)

    /// The stage that failed, as status and metrics name it.
    public var stage: String {
        switch self {
        case .validation: "validate"
        case .emptyRevision: "plan"
        case .apply, .immutableField: "apply"
        case .notEstablished: "apply"
        case .prune: "prune"
        case .cluster(let stage, _): stage
        }
    }

    public var description: String {
        switch self {
        case .validation(let problems):
            return "validation failed, nothing applied:\n" + problems.joined(separator: "\n")
        case .emptyRevision(let refusal):
            return "\(refusal)"
        case .apply(let object, let error):
            return "\(object): \(Self.text(error))"
        case .immutableField(let object, let error):
            return "\(object): \(error.message) (annotate the object with \(SyncAnnotation.force): enabled to delete and recreate it)"
        case .notEstablished(let object, let waited):
            return "\(object) was not ready after \(waited)"
        case .prune(let object, let error):
            return "\(object): prune failed: \(error)"
        case .cluster(let stage, let error):
            return "\(stage): \(error)"
        }
    }

    /// The server's message with its causes, one per line, as `kubectl` shows a 409 or 422.
    static func text(_ error: APIError) -> String {
        let causes = error.details?.causes ?? []
        guard !causes.isEmpty, !causes.allSatisfy({ error.message.contains($0.message) }) else { return error.message }
        return error.message + "\n" + causes.map { "  - \($0.field ?? ""): \($0.message)" }.joined(separator: "\n")
    }
}
