import SluiceModel
import SluiceSync

/// What the canary controller gives the sync: the current step's weights laid over the rendered
/// objects (design.md: one writer per field, so the canary never applies routes itself).
public protocol DesiredStateOverlay: Sendable {
    func overlay(_ objects: [Object], revision: String) async -> [Object]
}

/// What the drift detector needs after each sync: the objects exactly as applied.
public protocol AppliedStateTracker: Sendable {
    func track(target: SyncTarget, objects: [Object], mode: DriftMode, ignore: [DriftIgnoreRule]) async
}
