import SluiceCanary
import SluiceModel
import SluiceSync

extension RepositoryLayout {
    /// Reads and checks `sluice.yaml`: the schema (types, enums, required fields, unknown fields,
    /// duplicate target names) with the API server's wording, then what a schema cannot say
    /// (paths that stay inside the repository, JSON pointers, durations).
    public static func parse(_ text: String, file: String = fileName) throws(RepositoryLayoutError) -> RepositoryLayout {
        let documents: [Object]
        do {
            documents = try YAMLDecoder().objects(text, file: file)
        } catch {
            throw RepositoryLayoutError(problems: ["\(error)"])
        }
        guard documents.count == 1, let object = documents.first else {
            throw RepositoryLayoutError(problems: ["\(file): expected one YAML document, found \(documents.count)"])
        }
        var problems: [String] = []
        func report(_ field: FieldPath, _ message: String) {
            let place = object.location(of: field).map { "\($0)" } ?? file
            problems.append("\(place): \(field.isRoot ? "" : "\(field): ")\(message)")
        }

        let validator = SchemaValidator()
        let schema = StructuralSchema(Self.schema)
        let defaulted = validator.applyingDefaults(to: object.value, schema: schema)
        for error in validator.apiServerErrors(defaulted, against: schema) {
            report(error.field ?? .root, error.body)
        }
        for path in validator.unknownFields(object.value, against: schema) {
            report(path, "unknown field \"\(path.lastKey ?? "")\"")
        }
        guard problems.isEmpty else { throw RepositoryLayoutError(problems: problems) }

        let layout: RepositoryLayout
        do {
            layout = try Object(defaulted.objectValue ?? [:]).decode()
        } catch {
            throw RepositoryLayoutError(problems: ["\(file): \(error.message)"])
        }
        if let interval = layout.interval {
            do { _ = try GoDuration.parse(interval) } catch { report(FieldPath(parsing: "interval"), "\(error)") }
        }
        for (index, target) in layout.targets.enumerated() {
            let field = FieldPath(parsing: "targets[\(index)]")
            if let message = Self.pathProblem(target.path) { report(field.appending("path"), message) }
            for (ruleIndex, rule) in target.ignore.enumerated() {
                for (pathIndex, pointer) in rule.paths.enumerated() where !Self.isJSONPointer(pointer) {
                    report(
                        field.appending("ignore").appending(ruleIndex).appending("paths").appending(pathIndex),
                        "\"\(pointer)\" is not a JSON pointer (RFC 6901): it starts with / and escapes ~ and / as ~0 and ~1")
                }
            }
        }
        guard problems.isEmpty else { throw RepositoryLayoutError(problems: problems) }
        return layout
    }

    /// Why `path` cannot name an overlay inside the repository, or nil when it can.
    static func pathProblem(_ path: String) -> String? {
        if path.hasPrefix("/") { return "\"\(path)\" must be relative to the repository root" }
        if path.split(separator: "/").contains("..") { return "\"\(path)\" must not leave the repository (no \"..\")" }
        if path.contains("://") { return "\"\(path)\" must be a directory in this repository, not a URL" }
        return nil
    }

    static func isJSONPointer(_ text: String) -> Bool {
        DriftIgnoreRule.components(ofPointer: text) != nil
    }
}
