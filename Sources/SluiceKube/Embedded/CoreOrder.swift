import OrderedCollections
import SluiceModel

/// The member order of core kinds as the API server writes them (the field order of the Go
/// types): kind, apiVersion, metadata (ObjectMeta's order), then the kind's own fields.
enum CoreOrder {
    static let top = ["kind", "apiVersion", "metadata", "spec", "status"]
    static let metadata = [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
        "managedFields",
    ]
    static let managedFields = ["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1", "subresource"]

    static func ordered(_ value: JSONValue) -> JSONValue {
        guard case .object(let members) = value else { return value }
        var result = reorder(members, top)
        if case .object(let meta)? = result["metadata"] {
            var orderedMeta = reorder(meta, metadata)
            if let entries = orderedMeta["managedFields"]?.arrayValue {
                orderedMeta["managedFields"] = .array(entries.map { entry in
                    guard case .object(let fields) = entry else { return entry }
                    var orderedEntry = reorder(fields, managedFields)
                    orderedEntry["fieldsV1"] = orderedEntry["fieldsV1"]?.sortedKeys
                    return .object(orderedEntry)
                })
            }
            result["metadata"] = .object(orderedMeta)
        }
        return .object(result)
    }

    private static func reorder(_ members: JSONObject, _ order: [String]) -> JSONObject {
        var result = JSONObject()
        for key in order { if let value = members[key] { result[key] = value } }
        for (key, value) in members where result[key] == nil { result[key] = value }
        return result
    }
}
