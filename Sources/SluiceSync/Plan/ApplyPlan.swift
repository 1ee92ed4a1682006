import SluiceModel

/// The order a revision is applied in: definitions first (CustomResourceDefinitions and
/// Namespaces), then classes (`GatewayClass` and other `*Class` kinds), then everything else,
/// each stage established before the next starts (fluxcd/pkg ssa's sort). Within a stage
/// objects keep the order rendering gave them.
public struct ApplyPlan: Sendable, Hashable {
    public enum Stage: Int, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
        /// CRDs and Namespaces: what later objects need to exist at all.
        case definitions
        /// `*Class` kinds, which other objects refer to by name.
        case classes
        case resources

        public static func < (lhs: Stage, rhs: Stage) -> Bool { lhs.rawValue < rhs.rawValue }

        public var description: String {
            switch self {
            case .definitions: "definitions (CustomResourceDefinitions, Namespaces)"
            case .classes: "classes"
            case .resources: "resources"
            }
        }

        /// The stage `object` belongs to.
        public static func of(_ object: ObjectReference) -> Stage {
            switch (object.group, object.kind) {
            case ("apiextensions.k8s.io", "CustomResourceDefinition"), ("", "Namespace"): .definitions
            case (_, let kind) where kind.hasSuffix("Class") && kind != "Class": .classes
            default: .resources
            }
        }
    }

    /// The stages that have objects, in order, each with its objects.
    public var stages: [(stage: Stage, objects: [Object])]

    public init(_ objects: [Object]) {
        var grouped: [Stage: [Object]] = [:]
        for object in objects { grouped[Stage.of(object.reference), default: []].append(object) }
        stages = Stage.allCases.compactMap { stage in grouped[stage].map { (stage, $0) } }
    }

    public static func == (lhs: ApplyPlan, rhs: ApplyPlan) -> Bool {
        lhs.stages.map(\.stage) == rhs.stages.map(\.stage) && lhs.stages.map(\.objects) == rhs.stages.map(\.objects)
    }

    public func hash(into hasher: inout Hasher) {
        for (stage, objects) in stages {
            hasher.combine(stage)
            hasher.combine(objects)
        }
    }
}
