import Foundation
import OrderedCollections
import SluiceModel

/// configMapGenerator and secretGenerator: data from literals, files and env files; options
/// (labels, annotations, immutable, hash suffix) from `generatorOptions` and each generator;
/// behavior `create` (new object), `merge` and `replace` (onto one from a base).
struct Generators {
    let builder: Builder
    let kustomization: Kustomization

    func run(on resources: inout [Resource]) throws(RenderError) {
        let options = kustomization.fields["generatorOptions"]?.objectValue ?? [:]
        for (index, entry) in try kustomization.list("configMapGenerator").enumerated() {
            try generate(entry, kind: "ConfigMap", key: "configMapGenerator", index: index, options: options, into: &resources)
        }
        for (index, entry) in try kustomization.list("secretGenerator").enumerated() {
            try generate(entry, kind: "Secret", key: "secretGenerator", index: index, options: options, into: &resources)
        }
    }

    static let knownFields: Set<String> = [
        "name", "namespace", "behavior", "literals", "files", "envs", "env", "options", "type",
    ]

    private func generate(
        _ entry: JSONValue, kind: String, key: String, index: Int, options global: JSONObject,
        into resources: inout [Resource]
    ) throws(RenderError) {
        let location = kustomization.location(of: key, .index(index))
        guard let members = entry.objectValue else {
            throw RenderError("invalid Kustomization: \(key)[\(index)] must be a mapping", at: location)
        }
        for field in members.keys where !Self.knownFields.contains(field) {
            throw RenderError("invalid Kustomization: json: unknown field \"\(field)\"", at: location)
        }
        guard let name = members["name"]?.stringValue, !name.isEmpty else {
            throw RenderError("a \(kind) generator needs a name", at: location)
        }
        let namespace = members["namespace"]?.stringValue
        let behavior = members["behavior"]?.stringValue ?? "create"
        guard ["create", "merge", "replace"].contains(behavior) else {
            throw RenderError("unknown generator behavior '\(behavior)'", at: location)
        }
        var data: OrderedDictionary<String, String> = [:]
        var binary: OrderedDictionary<String, Data> = [:]
        func put(_ key: String, _ value: String) throws(RenderError) {
            guard data[key] == nil, binary[key] == nil else {
                throw RenderError("configmap \(name) illegally repeats the key `\(key)`", at: location)
            }
            data[key] = value
        }
        var envFiles = (members["envs"]?.arrayValue ?? []).compactMap(\.stringValue)
        if let env = members["env"]?.stringValue { envFiles.insert(env, at: 0) }
        for file in envFiles {
            let loaded = try builder.loadFile(file, from: kustomization, at: location)
            for (key, value) in try Self.envPairs(loaded.text, file: loaded.path) { try put(key, value) }
        }
        for literal in (members["literals"]?.arrayValue ?? []) {
            guard let text = literal.stringValue else { continue }
            guard let equals = text.firstIndex(of: "=") else {
                throw RenderError("invalid literal source \(text), expected key=value", at: location)
            }
            var value = String(text[text.index(after: equals)...])
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            try put(String(text[..<equals]), value)
        }
        for file in (members["files"]?.arrayValue ?? []).compactMap(\.stringValue) {
            var fileKey: String
            var path = file
            if let equals = file.firstIndex(of: "=") {
                fileKey = String(file[..<equals])
                path = String(file[file.index(after: equals)...])
            } else {
                fileKey = String(path.split(separator: "/").last ?? "")
            }
            let joined = TreeReader.join(kustomization.directory, path) ?? path
            if builder.tree.isDirectory((try? builder.tree.resolve(joined)) ?? joined) {
                throw RenderError("loading KV pairs: file sources: [\(file)]: '\(joined)' must resolve to a file", at: location)
            }
            try builder.refuseRemote(path, at: location)
            guard let resolvedPath = try? builder.tree.resolve(joined), builder.tree.isFile(resolvedPath) else {
                throw RenderError("loading KV pairs: file sources: [\(file)]: evalsymlink failure on '\(joined)' : lstat \(joined): no such file or directory", at: location)
            }
            try builder.checkRestriction(resolvedPath, of: kustomization, entry: path, at: location)
            let bytes = try builder.tree.data(resolvedPath)
            if fileKey.isEmpty { fileKey = path }
            try store(fileKey, bytes)
        }
        func store(_ key: String, _ bytes: Data) throws(RenderError) {
            if let text = String(data: bytes, encoding: .utf8) {
                try put(key, text)
            } else {
                guard data[key] == nil, binary[key] == nil else {
                    throw RenderError("configmap \(name) illegally repeats the key `\(key)`", at: location)
                }
                binary[key] = bytes
            }
        }

        let local = members["options"]?.objectValue ?? [:]
        var object: JSONObject = ["apiVersion": "v1", "kind": .string(kind)]
        var metadata: JSONObject = ["name": .string(name)]
        if let namespace { metadata["namespace"] = .string(namespace) }
        var labels: JSONObject = [:]
        var annotations: JSONObject = [:]
        for source in [global, local] {
            for (label, value) in source["labels"]?.objectValue ?? [:] { labels[label] = value }
            for (annotation, value) in source["annotations"]?.objectValue ?? [:] { annotations[annotation] = value }
        }
        if !labels.isEmpty { metadata["labels"] = .object(labels) }
        if !annotations.isEmpty { metadata["annotations"] = .object(annotations) }
        object["metadata"] = .object(metadata)
        if kind == "ConfigMap" {
            if !data.isEmpty { object["data"] = .object(JSONObject(data, transform: JSONValue.string)) }
            if !binary.isEmpty { object["binaryData"] = .object(JSONObject(binary) { .string(Self.base64Lines($0)) }) }
        } else {
            var encoded = JSONObject(data) { JSONValue.string(Self.base64Lines(Data($0.utf8))) }
            for (key, bytes) in binary { encoded[key] = .string(Self.base64Lines(bytes)) }
            if !encoded.isEmpty { object["data"] = .object(encoded) }
            object["type"] = .string(members["type"]?.stringValue ?? "Opaque")
        }
        if (local["immutable"] ?? global["immutable"])?.boolValue == true { object["immutable"] = true }
        // kustomize ORs the two: a generator cannot turn hashing back on.
        let disableHash = local["disableNameSuffixHash"]?.boolValue == true || global["disableNameSuffixHash"]?.boolValue == true

        var resource = Resource(Object(object))
        resource.generator = .init(appendHash: !disableHash)

        let existing = resources.indices.filter { position in
            let candidate = resources[position]
            return candidate.kind == kind && candidate.group == "" && candidate.allNames.contains(name)
                && (namespace == nil || candidate.effectiveNamespace(candidate.object.namespace) == candidate.effectiveNamespace(namespace))
        }
        switch behavior {
        case "create":
            var added = [resource]
            try Builder.append(&added, to: &resources, at: location)
        default:
            guard let position = existing.first else {
                throw RenderError("id \(resource.idDescription) does not exist; cannot merge or replace", at: location)
            }
            var target = resources[position]
            if behavior == "replace" {
                for field in ["data", "binaryData"] { target.object.content[field] = object[field] }
            } else {
                for field in ["data", "binaryData"] {
                    guard let new = object[field]?.objectValue else { continue }
                    var merged = target.object.content[field]?.objectValue ?? [:]
                    for (dataKey, value) in new { merged[dataKey] = value }
                    target.object.content[field] = .object(merged)
                }
            }
            var targetLabels = target.object.labels
            for (label, value) in labels { targetLabels[label] = value.stringValue ?? "" }
            target.object.labels = targetLabels
            var targetAnnotations = target.object.annotations
            for (annotation, value) in annotations { targetAnnotations[annotation] = value.stringValue ?? "" }
            target.object.annotations = targetAnnotations
            if kind == "Secret", let type = members["type"]?.stringValue { target.object.content["type"] = .string(type) }
            if target.generator == nil { target.generator = .init(appendHash: !disableHash) }
            if local["disableNameSuffixHash"] != nil || global["disableNameSuffixHash"] != nil {
                target.generator?.appendHash = !disableHash
            }
            resources[position] = target
        }
    }

    /// KEY=VALUE lines of an env file; `#` comments and blank lines skipped; a bare KEY is an error.
    static func envPairs(_ text: String, file: String) throws(RenderError) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine)
            if number == 0, line.hasPrefix("\u{FEFF}") { line = line.dropFirst() }
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw RenderError("invalid env line, expected KEY=VALUE: \"\(trimmed)\"", at: SourceLocation(file: file, line: number + 1))
            }
            let key = String(trimmed[..<equals])
            guard !key.isEmpty, !key.contains(" ") else {
                throw RenderError("\"\(key)\" is not a valid key name", at: SourceLocation(file: file, line: number + 1))
            }
            pairs.append((key, String(trimmed[trimmed.index(after: equals)...])))
        }
        return pairs
    }
}
