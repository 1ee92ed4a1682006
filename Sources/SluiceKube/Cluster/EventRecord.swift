import Foundation
import SluiceModel

/// A core/v1 Event about an object, as Sluice records them (drift, sync results, canary steps).
public struct EventRecord: Sendable, Hashable {
    public var involved: ObjectReference
    public var involvedUID: String?
    public var type: String
    public var reason: String
    public var message: String
    public var component: String
    public var time: Date

    public init(involved: ObjectReference, involvedUID: String? = nil, type: String = "Normal", reason: String, message: String, component: String = "sluice", time: Date = Date()) {
        self.involved = involved
        self.involvedUID = involvedUID
        self.type = type
        self.reason = reason
        self.message = message
        self.component = component
        self.time = time
    }

    /// The Event object; its name is unique per involved object, reason and time.
    public var object: Object {
        let stamp = EmbeddedCluster.rfc3339(time)
        let suffix = String(UInt64(time.timeIntervalSince1970 * 1_000_000), radix: 16)
        var involvedObject: JSONValue = [
            "apiVersion": .string(involved.apiVersion), "kind": .string(involved.kind), "name": .string(involved.name),
        ]
        if let namespace = involved.namespace { involvedObject = involvedObject.setting("namespace", .string(namespace)) }
        if let involvedUID { involvedObject = involvedObject.setting("uid", .string(involvedUID)) }
        return Object([
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string("\(involved.name).\(suffix)"), "namespace": .string(involved.namespace ?? "default")],
            "involvedObject": involvedObject, "reason": .string(reason), "message": .string(message), "type": .string(type),
            "source": ["component": .string(component)], "firstTimestamp": .string(stamp), "lastTimestamp": .string(stamp),
            "count": 1, "reportingComponent": .string(component),
        ])
    }
}
