import OrderedCollections
import SluiceModel

/// One kustomization.yaml (a `Kustomization` or a `Component`), read field by field from the
/// decoded document so that each problem keeps its line.
struct Kustomization {
    /// The directory holding the file, relative to the tree's root.
    let directory: String
    /// The file's path in the tree.
    let file: String
    let fields: JSONObject
    let positions: SourcePositions
    let isComponent: Bool

    /// The names the kustomize v5 Kustomization type accepts; anything else is refused as
    /// kustomize refuses it ("json: unknown field").
    static let knownFields: Set<String> = [
        "apiVersion", "kind", "metadata", "openapi", "namePrefix", "nameSuffix", "namespace", "commonLabels",
        "labels", "commonAnnotations", "patchesStrategicMerge", "patchesJson6902", "patches", "images",
        "imageTags", "replacements", "replicas", "vars", "sortOptions", "resources", "bases", "components", "crds",
        "configMapGenerator", "secretGenerator", "helmGlobals", "helmCharts", "helmChartInflationGenerator",
        "generatorOptions", "configurations", "generators", "transformers", "validators", "buildMetadata",
        "inventory",
    ]

    static let fileNames = Renderer.kustomizationFileNames

    init(directory: String, file: String, text: String) throws(RenderError) {
        self.directory = directory
        self.file = file
        let documents: [YAMLDecoder.Document]
        do {
            documents = try YAMLDecoder().documents(text, file: file)
        } catch {
            throw RenderError(error)
        }
        let nonEmpty = documents.filter { !$0.value.isNull }
        guard nonEmpty.count <= 1 else {
            throw RenderError("invalid Kustomization: a kustomization file holds one document", at: nonEmpty[1].location)
        }
        guard let document = nonEmpty.first else {
            throw RenderError("kustomization.yaml is empty", file: file)
        }
        guard case .object(let fields) = document.value else {
            throw RenderError("invalid Kustomization: expected a mapping, found a \(document.value.typeName)", at: document.location)
        }
        self.fields = fields
        self.positions = document.positions
        for key in fields.keys where !Self.knownFields.contains(key) {
            throw RenderError("invalid Kustomization: json: unknown field \"\(key)\"", at: positions.location(of: FieldPath([.key(key)])))
        }
        let kind = fields["kind"]?.stringValue ?? "Kustomization"
        isComponent = kind == "Component"
        guard kind == "Kustomization" || kind == "Component" else {
            throw RenderError("invalid Kustomization: kind \"\(kind)\" is neither Kustomization nor Component", at: location(of: "kind"))
        }
        let apiVersion = fields["apiVersion"]?.stringValue
        if isComponent, apiVersion != "kustomize.config.k8s.io/v1alpha1" {
            throw RenderError("apiVersion for Component should be kustomize.config.k8s.io/v1alpha1", at: location(of: "apiVersion"))
        }
        if !isComponent, let apiVersion, apiVersion != "kustomize.config.k8s.io/v1beta1" {
            throw RenderError("apiVersion for Kustomization should be kustomize.config.k8s.io/v1beta1", at: location(of: "apiVersion"))
        }
        for unsupported in ["generators", "transformers", "validators", "helmCharts", "helmChartInflationGenerator", "vars", "configurations", "inventory", "openapi"]
        where fields[unsupported] != nil {
            throw RenderError("'\(unsupported)' is not supported by Sluice's renderer", at: location(of: unsupported))
        }
    }

    func location(of key: String, _ rest: FieldPath.Component...) -> SourceLocation {
        positions.location(of: FieldPath([.key(key)] + rest)) ?? SourceLocation(file: file, line: 1)
    }

    func string(_ key: String) throws(RenderError) -> String? {
        guard let value = fields[key], !value.isNull else { return nil }
        guard let text = value.stringValue else {
            throw RenderError("invalid Kustomization: \(key) must be a string", at: location(of: key))
        }
        return text
    }

    func strings(_ key: String) throws(RenderError) -> [String] {
        guard let value = fields[key], !value.isNull else { return [] }
        guard let items = value.arrayValue else {
            throw RenderError("invalid Kustomization: \(key) must be a list of strings", at: location(of: key))
        }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard let text = item.stringValue else {
                throw RenderError("invalid Kustomization: \(key)[\(index)] must be a string", at: location(of: key, .index(index)))
            }
            result.append(text)
        }
        return result
    }

    func stringMap(_ key: String) throws(RenderError) -> OrderedDictionary<String, String> {
        guard let value = fields[key], !value.isNull else { return [:] }
        return try Self.stringMap(value, what: key, at: location(of: key))
    }

    static func stringMap(_ value: JSONValue, what: String, at location: SourceLocation) throws(RenderError)
        -> OrderedDictionary<String, String>
    {
        guard let members = value.objectValue else {
            throw RenderError("invalid Kustomization: \(what) must be a map of strings", at: location)
        }
        var result: OrderedDictionary<String, String> = [:]
        for (name, item) in members {
            switch item {
            case .string(let text): result[name] = text
            case .integer(let number): result[name] = String(number)
            case .bool(let flag): result[name] = String(flag)
            case .number(let number): result[name] = GoFloat.format(number)
            case .null: result[name] = ""
            default: throw RenderError("invalid Kustomization: \(what).\(name) must be a string", at: location)
            }
        }
        return result
    }

    func list(_ key: String) throws(RenderError) -> [JSONValue] {
        guard let value = fields[key], !value.isNull else { return [] }
        guard let items = value.arrayValue else {
            throw RenderError("invalid Kustomization: \(key) must be a list", at: location(of: key))
        }
        return items
    }
}
