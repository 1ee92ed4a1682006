import OrderedCollections
import Foundation
import Synchronization

/// Validates and defaults values against a structural schema the way the API server's
/// apiextensions validation does (kube-openapi's validators, then the translation to
/// `field.Error`s), with the same messages.
///
/// CEL rules (`x-kubernetes-validations`) run after the schema checks, unless one of those
/// blocks them, as on the server. Transition rules (`oldSelf`) run only when an old object is
/// given. String formats (`ipv4`, `ipv6`, `date-time`, ...) and the `allOf`/`anyOf`/`oneOf`/`not`
/// combinators are judged as the server judges them, and CEL evaluation is limited per call and
/// per object as on the server. Not yet covered: the ordering of several errors in one object
/// (the server's order follows Go map iteration in places).
public struct SchemaValidator: Sendable {
    public init() {}

    /// Every schema error in `value` (an object's whole JSON), in document order. At the root,
    /// `apiVersion`, `kind` and `metadata` are the server's business and are skipped.
    public func validate(_ value: JSONValue, against schema: StructuralSchema) -> [FieldError] {
        var errors: [FieldError] = []
        var path = PathStack()
        check(value, schema, at: &path, into: &errors)
        return errors
    }

    /// Errors as the API server returns them for a create or update: schema errors, then, when
    /// one of them stops CEL rules from running, the server's note that rules were skipped (only
    /// for a schema that has rules: the server builds no rule validator for one without).
    public func apiServerErrors(_ value: JSONValue, against schema: StructuralSchema, old: JSONValue? = nil)
        -> [FieldError]
    {
        var errors = validate(value, against: schema)
        guard schema.containsRules else { return errors }
        if !errors.contains(where: { $0.kind.blocksRules }) {
            var path = PathStack()
            var budget = Self.runtimeCostBudget
            checkRules(value, old: old, schema, at: &path, budget: &budget, into: &errors)
        } else {
            errors.append(FieldError(
                .invalid, field: nil, badValue: .value(.null),
                detail: "some validation rules were not checked because the object was invalid; "
                    + "correct the existing errors to complete validation"))
        }
        return errors
    }

    /// Fields the schema does not declare (what server-side apply refuses with
    /// "field not declared in schema"), outside `x-kubernetes-preserve-unknown-fields`.
    public func unknownFields(_ value: JSONValue, against schema: StructuralSchema) -> [FieldPath] {
        var found: [FieldPath] = []
        collectUnknown(value, schema, at: .root, into: &found)
        return found
    }

    /// Fills in `default`s the way the API server does when it decodes an object: a missing
    /// property with a default gets it, inside objects and list items that exist.
    public func applyingDefaults(to value: JSONValue, schema: StructuralSchema) -> JSONValue {
        defaulted(value, schema) ?? value
    }

    /// The value with defaults filled in, or nil when nothing needed filling (so that a whole
    /// object is not rebuilt to change nothing).
    private func defaulted(_ value: JSONValue, _ schema: StructuralSchema) -> JSONValue? {
        switch value {
        case .object(let members):
            var updated: JSONObject?
            for (name, propertySchema) in schema.properties {
                if let member = members[name] {
                    if let changed = defaulted(member, propertySchema) {
                        if updated == nil { updated = members }
                        updated![name] = changed
                    }
                } else if let defaultValue = propertySchema.defaultValue {
                    if updated == nil { updated = members }
                    updated![name] = defaulted(defaultValue, propertySchema) ?? defaultValue
                }
            }
            if let additional = schema.additionalProperties {
                for (name, member) in members where schema.properties[name] == nil {
                    if let changed = defaulted(member, additional) {
                        if updated == nil { updated = members }
                        updated![name] = changed
                    }
                }
            }
            return updated.map(JSONValue.object)
        case .array(let items):
            guard let itemSchema = schema.items else { return nil }
            var updated: [JSONValue]?
            for (index, item) in items.enumerated() {
                if let changed = defaulted(item, itemSchema) {
                    if updated == nil { updated = items }
                    updated![index] = changed
                }
            }
            return updated.map(JSONValue.array)
        default:
            return nil
        }
    }

    // MARK: - Checks

    private func check(_ value: JSONValue, _ schema: StructuralSchema, at path: inout PathStack, into errors: inout [FieldError]) {
        if case .null = value {
            if !schema.nullable, let type = schema.type {
                errors.append(typeError(path, value, expected: type))
            }
            return
        }
        if !schema.intOrString, let type = schema.type, !matches(value, type: type) {
            errors.append(typeError(path, value, expected: type))
            return
        }
        if schema.intOrString, !(value.stringValue != nil || value.integerValue != nil) {
            errors.append(typeError(path, value, expected: "integer,string"))
            return
        }
        switch value {
        case .object(let members):
            checkObject(members, schema, at: &path, into: &errors)
        case .array(let items):
            checkArray(items, schema, at: &path, into: &errors)
        case .string(let text):
            checkString(text, schema, at: &path, into: &errors)
        case .integer(let number):
            checkNumber(Double(number), value, schema, at: &path, into: &errors)
        case .number(let number):
            checkNumber(number, value, schema, at: &path, into: &errors)
        case .bool, .null:
            break
        }
        if let allowed = schema.enumValues, !allowed.contains(where: { Self.equalForEnum($0, value) }) {
            let values = allowed.map { $0.stringValue.map(FieldError.goQuote) ?? $0.jsonText() }
            errors.append(FieldError(
                .notSupported, field: path.fieldPath, badValue: .value(value),
                detail: "supported values: " + values.joined(separator: ", ")))
        }
        checkCombinators(value, schema, at: &path, into: &errors)
    }

    /// `allOf`, `anyOf`, `oneOf` and `not`, judged by whether `value` passes each branch's
    /// structural checks. The verdict is the server's; the wording of these messages has not
    /// been checked against a recording yet.
    private func checkCombinators(_ value: JSONValue, _ schema: StructuralSchema, at path: inout PathStack, into errors: inout [FieldError]) {
        guard !schema.allOf.isEmpty || !schema.anyOf.isEmpty || !schema.oneOf.isEmpty || schema.not != nil else { return }
        func passes(_ branch: StructuralSchema) -> Bool {
            var branchErrors: [FieldError] = []
            var branchPath = path
            check(value, branch, at: &branchPath, into: &branchErrors)
            return branchErrors.isEmpty
        }
        for branch in schema.allOf where !passes(branch) {
            errors.append(invalid(path, value, "\(path) in body must validate all the schemas (allOf)"))
            break
        }
        if !schema.anyOf.isEmpty, !schema.anyOf.contains(where: passes) {
            errors.append(invalid(path, value, "\(path) in body must validate at least one schema (anyOf)"))
        }
        if !schema.oneOf.isEmpty, schema.oneOf.filter(passes).count != 1 {
            errors.append(invalid(path, value, "\(path) in body must validate one and only one schema (oneOf)"))
        }
        if let not = schema.not, passes(not) {
            errors.append(invalid(path, value, "\(path) in body must not validate the schema (not)"))
        }
    }

    private func checkObject(
        _ members: JSONObject, _ schema: StructuralSchema,
        at path: inout PathStack, into errors: inout [FieldError]
    ) {
        for name in schema.required where members[name] == nil {
            if path.isRoot, Self.serverOwnedRootFields.contains(name) { continue }
            errors.append(FieldError(.required, field: path.fieldPath.appending(name)))
        }
        if let maximum = schema.maxProperties, members.count > maximum {
            errors.append(invalid(path, .integer(Int64(members.count)), "\(path) in body should have at most \(maximum) properties"))
        }
        if let minimum = schema.minProperties, members.count < minimum {
            errors.append(invalid(path, .integer(Int64(members.count)), "\(path) in body should have at least \(minimum) properties"))
        }
        for (name, member) in members {
            if path.isRoot, Self.serverOwnedRootFields.contains(name) { continue }
            if let propertySchema = schema.properties[name] {
                path.push(.key(name))
                check(member, propertySchema, at: &path, into: &errors)
                path.pop()
            } else if let additional = schema.additionalProperties {
                path.push(.key(name))
                check(member, additional, at: &path, into: &errors)
                path.pop()
            }
        }
    }

    private func checkArray(_ items: [JSONValue], _ schema: StructuralSchema, at path: inout PathStack, into errors: inout [FieldError]) {
        if let maximum = schema.maxItems, items.count > maximum {
            errors.append(FieldError(
                .tooMany, field: path.fieldPath, badValue: .value(.integer(Int64(items.count))),
                detail: "must have at most \(maximum) items"))
        }
        if let minimum = schema.minItems, items.count < minimum {
            errors.append(invalid(path, .integer(Int64(items.count)), "\(path) in body should have at least \(minimum) items"))
        }
        if let itemSchema = schema.items {
            for (index, item) in items.enumerated() {
                path.push(.index(index))
                check(item, itemSchema, at: &path, into: &errors)
                path.pop()
            }
        }
        switch schema.listType {
        case "set":
            var seen: [JSONValue] = []
            for (index, item) in items.enumerated() {
                if seen.contains(item) {
                    errors.append(FieldError(.duplicate, field: path.fieldPath.appending(index), badValue: .value(item)))
                } else {
                    seen.append(item)
                }
            }
        case "map":
            var seen: [[JSONValue?]] = []
            for (index, item) in items.enumerated() {
                let key = schema.listMapKeys.map { name in item[name] ?? schema.items?.properties[name]?.defaultValue }
                if seen.contains(key) {
                    let shown: JSONValue = schema.listMapKeys.count == 1
                        ? (key[0] ?? .null)
                        : .object(.init(uniqueKeysWithValues: zip(schema.listMapKeys, key.map { $0 ?? .null })))
                    errors.append(FieldError(.duplicate, field: path.fieldPath.appending(index), badValue: .value(shown)))
                } else {
                    seen.append(key)
                }
            }
        default:
            break
        }
    }

    private func checkString(_ text: String, _ schema: StructuralSchema, at path: inout PathStack, into errors: inout [FieldError]) {
        let length = text.unicodeScalars.count
        if let maximum = schema.maxLength, length > maximum {
            errors.append(FieldError(.tooLong, field: path.fieldPath, badValue: .value(.string(text)), detail: "may not be more than \(maximum) bytes"))
        }
        if let minimum = schema.minLength, length < minimum {
            errors.append(invalid(path, .string(text), "\(path) in body should be at least \(minimum) chars long"))
        }
        if let pattern = schema.pattern, !Self.matches(text, pattern: pattern) {
            errors.append(invalid(path, .string(text), "\(path) in body should match '\(pattern)'"))
        }
        if let format = schema.format, let valid = StringFormat.check(format, text), !valid {
            errors.append(FieldError(
                .typeInvalid, field: path.fieldPath, badValue: .value(.string(text)),
                detail: "\(path) in body must be of type \(format): \(FieldError.goQuote(text))"))
        }
    }

    private func checkNumber(
        _ number: Double, _ value: JSONValue, _ schema: StructuralSchema, at path: inout PathStack, into errors: inout [FieldError]
    ) {
        if let maximum = schema.maximum {
            if schema.exclusiveMaximum ? number >= maximum : number > maximum {
                let phrase = schema.exclusiveMaximum ? "less than" : "less than or equal to"
                errors.append(invalid(path, value, "\(path) in body should be \(phrase) \(Self.bound(maximum))"))
            }
        }
        if let minimum = schema.minimum {
            if schema.exclusiveMinimum ? number <= minimum : number < minimum {
                let phrase = schema.exclusiveMinimum ? "greater than" : "greater than or equal to"
                errors.append(invalid(path, value, "\(path) in body should be \(phrase) \(Self.bound(minimum))"))
            }
        }
    }

    // MARK: - CEL rules

    /// The API server's limits on CEL evaluation: per rule call, and per object.
    static let perCallCostLimit = 1_000_000
    static let runtimeCostBudget = 10_000_000

    private func checkRules(
        _ value: JSONValue, old: JSONValue?, _ schema: StructuralSchema, at path: inout PathStack,
        budget: inout Int, into errors: inout [FieldError]
    ) {
        guard budget >= 0, schema.containsRules else { return }
        if !schema.rules.isEmpty {
            let current = CELValue(value)
            let previous = old.map(CELValue.init)
            for rule in schema.rules where !rule.isTransition || previous != nil {
                // Built only when the rule fails: most rules pass.
                var field: FieldPath { FieldPath(path.fieldPath.components + rule.fieldPath.components) }
                guard let program = rule.program else {
                    if case .failure(let error) = rule.expression {
                        errors.append(FieldError(.invalid, field: field, badValue: .omitted, detail: "compilation failed: \(error)"))
                    }
                    continue
                }
                do throws(CELError) {
                    let (result, cost) = try program.evaluate(
                        self: current, oldSelf: previous, costLimit: min(Self.perCallCostLimit, budget))
                    budget -= cost
                    guard result != .bool(true) else { continue }
                    var detail = rule.message ?? "failed rule: \(rule.rule)"
                    if let messageProgram = rule.messageProgram,
                        case (.string(let text), _)? = try? messageProgram.evaluate(
                            self: current, oldSelf: previous, costLimit: Self.perCallCostLimit),
                        !text.isEmpty
                    {
                        detail = text
                    }
                    errors.append(FieldError(rule.reason, field: field, badValue: .omitted, detail: detail))
                } catch {
                    // As the server words a rule that could not be evaluated: the schema type as
                    // the value, the error, and the rule's message (or the rule itself).
                    let ruleText = rule.message ?? rule.rule
                    let outOfBudget = error.message.hasPrefix("operation cancelled") && budget < Self.perCallCostLimit
                    if outOfBudget {
                        errors.append(FieldError(
                            .invalid, field: field, badValue: .value(.string(schema.type ?? "")),
                            detail: "validation failed due to running out of cost budget, no further validation rules will be run"))
                        budget = -1
                        return
                    }
                    let detail = error.message.hasPrefix("operation cancelled")
                        ? "\(error): call cost exceeds limit for rule: \(ruleText)"
                        : "\(error) evaluating rule: \(ruleText)"
                    errors.append(FieldError(
                        .invalid, field: field, badValue: .value(.string(schema.type ?? "")), detail: detail))
                }
            }
        }
        switch value {
        case .object(let members):
            for (name, member) in members {
                let child = schema.properties[name] ?? schema.additionalProperties
                guard let child else { continue }
                let oldMember = schema.mapType == "atomic" ? nil : old?[name]
                path.push(.key(name))
                checkRules(member, old: oldMember, child, at: &path, budget: &budget, into: &errors)
                path.pop()
            }
        case .array(let items):
            guard let itemSchema = schema.items else { return }
            for (index, item) in items.enumerated() {
                path.push(.index(index))
                checkRules(item, old: Self.correlatedItem(item, in: old, schema: schema), itemSchema, at: &path, budget: &budget, into: &errors)
                path.pop()
            }
        default:
            break
        }
    }

    /// The old version of a list item, for transition rules: matched by map keys in a map list;
    /// sets and atomic lists do not correlate, as on the server.
    private static func correlatedItem(_ item: JSONValue, in old: JSONValue?, schema: StructuralSchema) -> JSONValue? {
        guard schema.listType == "map", let oldItems = old?.arrayValue else { return nil }
        return oldItems.first { candidate in schema.listMapKeys.allSatisfy { candidate[$0] == item[$0] } }
    }

    // MARK: - Helpers

    /// A schema bound as the server prints it: integral bounds as integers (1000000, not 1e+06).
    static func bound(_ number: Double) -> String {
        if number.rounded() == number, abs(number) < 1e18 { return String(Int64(number)) }
        return GoFloat.format(number)
    }

    private static let serverOwnedRootFields: Set<String> = ["apiVersion", "kind", "metadata"]

    private func invalid(_ path: PathStack, _ value: JSONValue, _ detail: String) -> FieldError {
        FieldError(.invalid, field: path.fieldPath, badValue: .value(value), detail: detail)
    }

    private func typeError(_ path: PathStack, _ value: JSONValue, expected: String) -> FieldError {
        FieldError(
            .typeInvalid, field: path.fieldPath, badValue: .value(value),
            detail: "\(path) in body must be of type \(expected): \(FieldError.goQuote(value.typeName))")
    }

    private func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool),
            ("integer", .integer), ("number", .integer), ("number", .number):
            true
        case ("integer", .number(let number)):
            number.rounded() == number
        default:
            false
        }
    }

    private static func equalForEnum(_ allowed: JSONValue, _ value: JSONValue) -> Bool {
        switch (allowed, value) {
        case (.integer(let a), .number(let b)), (.number(let b), .integer(let a)): Double(a) == b
        default: allowed == value
        }
    }

    private func collectUnknown(_ value: JSONValue, _ schema: StructuralSchema, at path: FieldPath, into found: inout [FieldPath]) {
        guard !schema.preserveUnknownFields || !schema.properties.isEmpty else { return }
        switch value {
        case .object(let members):
            for (name, member) in members {
                if path.isRoot, Self.serverOwnedRootFields.contains(name) { continue }
                if let propertySchema = schema.properties[name] {
                    collectUnknown(member, propertySchema, at: path.appending(name), into: &found)
                } else if let additional = schema.additionalProperties {
                    collectUnknown(member, additional, at: path.appending(name), into: &found)
                } else if !schema.preserveUnknownFields {
                    found.append(path.appending(name))
                }
            }
        case .array(let items):
            guard let itemSchema = schema.items else { return }
            for (index, item) in items.enumerated() {
                collectUnknown(item, itemSchema, at: path.appending(index), into: &found)
            }
        default:
            break
        }
    }

    /// ECMA-262-style patterns as the server evaluates them (Go's RE2 accepts the subset CRDs
    /// use); see `PatternCache`.
    static func matches(_ text: String, pattern: String) -> Bool {
        PatternCache.shared.matches(text, pattern: pattern)
    }
}

/// The path of the node being checked, kept as a stack so that descending costs nothing
/// until an error needs the path.
struct PathStack: CustomStringConvertible {
    private var components: [FieldPath.Component] = []

    mutating func push(_ component: FieldPath.Component) { components.append(component) }
    mutating func pop() { components.removeLast() }
    var isRoot: Bool { components.isEmpty }
    var fieldPath: FieldPath { FieldPath(components) }
    var description: String { fieldPath.description }
}
