import Foundation
import SluiceKube
import SluiceModel

/// A manual command for a rollout, given as the annotation `sluice.dev/canary-action` on the
/// Canary (by `sluice canary pause|resume|promote|abort` or `kubectl annotate`). The controller
/// carries it out, records it in the status and as an Event, and removes the annotation.
public enum CanaryAction: String, Sendable, Hashable, CaseIterable {
    /// Hold the current step until `resume`.
    case pause
    /// Go on after a pause, or through a manual gate.
    case resume
    /// Skip the remaining steps: Git's weights now.
    case promote
    /// Go back to the last promoted weights; the revision is not retried until Git changes.
    case abort

    /// The annotation that carries a command.
    public static let annotation = "sluice.dev/canary-action"

    /// The value the controller gives the annotation for a moment while removing it (and leaves,
    /// should the removal fail): the command was carried out.
    public static let taken = "taken"

    /// Reads an annotation value (`pause`, ` Promote `); nil for anything else.
    public init?(annotation value: String) {
        let trimmed = value.trimmingCharacters(in: .whitespaces).lowercased()
        self.init(rawValue: trimmed)
    }
}

/// What `sluice canary` does, as a library so the tests run the same code path as the CLI.
public struct CanaryControl: Sendable {
    /// The field manager the CLI writes the annotation as.
    public static let fieldManager = "sluice-cli"

    public let cluster: any Cluster

    public init(cluster: any Cluster) {
        self.cluster = cluster
    }

    /// Why a command could not be given.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public static func reference(namespace: String, name: String) -> ObjectReference {
        ObjectReference(apiVersion: Canary.apiVersion, kind: "Canary", namespace: namespace, name: name)
    }

    /// The live Canary `namespace/name`.
    public func canary(namespace: String, name: String) async throws -> Object {
        do {
            return try await cluster.get(Self.reference(namespace: namespace, name: name))
        } catch let error as APIError where error.code == 404 {
            throw Failure(description: "Canary \(namespace)/\(name) not found")
        }
    }

    /// Asks the controller to carry out `action` on `namespace/name` by annotating the Canary.
    public func request(_ action: CanaryAction, namespace: String, name: String) async throws {
        _ = try await canary(namespace: namespace, name: name)
        let patch = Object([
            "apiVersion": .string(Canary.apiVersion), "kind": "Canary",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace),
                "annotations": [CanaryAction.annotation: .string(action.rawValue)],
            ],
        ])
        _ = try await cluster.serverSideApply(patch, options: ApplyOptions(fieldManager: Self.fieldManager, force: true))
    }

    /// Waits until the controller has taken the command (the annotation is gone), polling every
    /// `every`; false when `timeout` passes first.
    public func waitUntilConsumed(namespace: String, name: String, timeout: Duration, every: Duration = .milliseconds(100)) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            let object = try await canary(namespace: namespace, name: name)
            let value = object.annotations[CanaryAction.annotation]
            if value == nil || value == CanaryAction.taken { return true }
            try await clock.sleep(for: every)
        }
        return false
    }
}
