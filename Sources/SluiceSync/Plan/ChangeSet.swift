import SluiceModel

/// What one sync did to each object, in the order it was done (fluxcd/pkg ssa's change set).
public struct ChangeSet: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable, Codable, CaseIterable {
        case created
        case configured
        /// The server-side dry run equalled the live object: nothing was written.
        case unchanged
        case deleted
        /// Left alone on purpose (prune disabled by annotation, or a dry run).
        case skipped
    }

    public struct Entry: Sendable, Hashable, CustomStringConvertible {
        public var object: ObjectReference
        public var action: Action
        /// Why, for skipped objects (`prune disabled by annotation sluice.dev/prune`).
        public var reason: String?

        public init(object: ObjectReference, action: Action, reason: String? = nil) {
            self.object = object
            self.action = action
            self.reason = reason
        }

        /// `HTTPRoute/demo/shop configured`, as Flux logs a change.
        public var description: String {
            let name = [object.namespace, object.name].compactMap { $0 }.joined(separator: "/")
            return "\(object.kind)/\(name) \(action.rawValue)" + (reason.map { " (\($0))" } ?? "")
        }
    }

    public var entries: [Entry] = []

    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    public mutating func append(_ object: ObjectReference, _ action: Action, reason: String? = nil) {
        entries.append(Entry(object: object, action: action, reason: reason))
    }

    public mutating func append(contentsOf other: ChangeSet) {
        entries += other.entries
    }

    /// Whether the sync wrote anything.
    public var changedAnything: Bool {
        entries.contains { $0.action == .created || $0.action == .configured || $0.action == .deleted }
    }

    public func count(_ action: Action) -> Int { entries.filter { $0.action == action }.count }

    /// `2 created, 1 configured, 10 unchanged` (actions that occurred, in a fixed order).
    public var summary: String {
        let parts = Action.allCases.compactMap { action -> String? in
            let count = count(action)
            return count > 0 ? "\(count) \(action.rawValue)" : nil
        }
        return parts.isEmpty ? "nothing to do" : parts.joined(separator: ", ")
    }
}
