import SluiceModel

/// One `metadata.managedFields` entry: a manager, how it wrote (Apply or Update), through which
/// subresource, and the fields it owns.
struct ManagedFieldsEntry: Hashable {
    var manager: String
    var operation: String
    var apiVersion: String
    var time: String
    var subresource: String?
    var fields: FieldSet

    /// Who the entry is: one entry per manager, operation and subresource (and, for updates,
    /// API version), as the API server keys them.
    func isSameWriter(as other: ManagedFieldsEntry) -> Bool {
        manager == other.manager && operation == other.operation && subresource == other.subresource
            && (operation == "Apply" || apiVersion == other.apiVersion)
    }

    /// How conflict messages name the manager: `"canary"`, or
    /// `"ctrl" with subresource "status" using group/v1` for an update.
    var conflictName: String {
        var text = FieldError.goQuote(manager)
        if let subresource { text += " with subresource \(FieldError.goQuote(subresource))" }
        if operation == "Update" { text += " using \(apiVersion)" }
        return text
    }

    /// The entry as JSON, members in the API server's order.
    var json: JSONValue {
        var entry: JSONValue = [
            "manager": .string(manager), "operation": .string(operation), "apiVersion": .string(apiVersion),
            "time": .string(time), "fieldsType": "FieldsV1", "fieldsV1": fields.fieldsV1,
        ]
        if let subresource { entry = entry.setting("subresource", .string(subresource)) }
        return entry
    }

    init(manager: String, operation: String, apiVersion: String, time: String, subresource: String?, fields: FieldSet) {
        self.manager = manager
        self.operation = operation
        self.apiVersion = apiVersion
        self.time = time
        self.subresource = subresource
        self.fields = fields
    }

    init?(json: JSONValue) {
        guard let manager = json["manager"]?.stringValue, let operation = json["operation"]?.stringValue,
            let fields = json["fieldsV1"].flatMap(FieldSet.init(fieldsV1:))
        else { return nil }
        self.init(
            manager: manager, operation: operation, apiVersion: json["apiVersion"]?.stringValue ?? "",
            time: json["time"]?.stringValue ?? "", subresource: json["subresource"]?.stringValue, fields: fields)
    }

    static func entries(of metadata: JSONValue?) -> [ManagedFieldsEntry] {
        (metadata?["managedFields"]?.arrayValue ?? []).compactMap(ManagedFieldsEntry.init(json:))
    }

    /// The API server's order: Apply before Update, then by time, manager, subresource.
    static func sorted(_ entries: [ManagedFieldsEntry]) -> [ManagedFieldsEntry] {
        entries.sorted { left, right in
            if left.operation != right.operation { return left.operation < right.operation }
            if left.time != right.time { return left.time < right.time }
            if left.manager != right.manager { return left.manager < right.manager }
            if left.subresource != right.subresource { return (left.subresource ?? "") < (right.subresource ?? "") }
            return left.apiVersion < right.apiVersion
        }
    }
}
