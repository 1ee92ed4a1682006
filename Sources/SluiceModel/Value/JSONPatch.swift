import Foundation

/// RFC 6902 operations (add, remove, replace, move, copy, test) over JSON pointers (RFC 6901,
/// `-` for the end of a list): kustomize's `patchesJson6902` and the API server's
/// `application/json-patch+json` patches. Messages are those of the Go library both use.
public struct JSONPatch: Sendable {
    struct Operation: Sendable {
        var op: String
        var path: [String]
        var from: [String]
        var value: JSONValue?
    }

    /// A patch that is not a list of well-formed operations.
    public struct FormatError: Error, Sendable {
        public var message: String
    }

    /// An operation that does not apply to the document.
    public struct Failure: Error, Sendable {
        public var message: String
    }

    var operations: [Operation]

    /// How many operations the patch holds.
    public var count: Int { operations.count }

    public init(_ value: JSONValue) throws(FormatError) {
        guard case .array(let items) = value else {
            throw FormatError(message: "a JSON 6902 patch must be a list of operations")
        }
        operations = []
        for (index, item) in items.enumerated() {
            guard let members = item.objectValue, let op = members["op"]?.stringValue else {
                throw FormatError(message: "JSON patch operation \(index) has no 'op'")
            }
            guard ["add", "remove", "replace", "move", "copy", "test"].contains(op) else {
                throw FormatError(message: "Unexpected kind: \(op)")
            }
            guard let path = members["path"]?.stringValue else {
                throw FormatError(message: "JSON patch operation \(index) (\(op)) has no 'path'")
            }
            if ["add", "replace", "test"].contains(op), members["value"] == nil {
                throw FormatError(message: "JSON patch operation \(index) (\(op)) has no 'value'")
            }
            operations.append(Operation(
                op: op, path: try Self.pointer(path),
                from: try Self.pointer(members["from"]?.stringValue ?? ""), value: members["value"]))
        }
    }

    static func pointer(_ text: String) throws(FormatError) -> [String] {
        if text.isEmpty { return [] }
        guard text.hasPrefix("/") else { throw FormatError(message: "JSON pointer '\(text)' must start with '/'") }
        return text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    /// Applies the operations in order; the first that does not apply stops the patch (the
    /// caller keeps its unpatched document).
    public func apply(to document: inout JSONValue) throws(Failure) {
        for operation in operations {
            let where_ = "/" + operation.path.joined(separator: "/")
            switch operation.op {
            case "add":
                try Self.add(&document, operation.path[...], operation.value!, operation)
            case "remove":
                guard try Self.remove(&document, operation.path[...], operation) != nil else {
                    throw Failure(message: "remove operation does not apply: doc is missing path: \"\(where_)\"")
                }
            case "replace":
                guard Self.get(document, operation.path[...]) != nil else {
                    throw Failure(message: "replace operation does not apply: doc is missing key: \(where_)")
                }
                _ = try Self.remove(&document, operation.path[...], operation)
                try Self.add(&document, operation.path[...], operation.value!, operation)
            case "move":
                guard let value = try Self.remove(&document, operation.from[...], operation) else {
                    throw Failure(message: "move operation does not apply: doc is missing from path")
                }
                try Self.add(&document, operation.path[...], value, operation)
            case "copy":
                guard let value = Self.get(document, operation.from[...]) else {
                    throw Failure(message: "copy operation does not apply: doc is missing from path")
                }
                try Self.add(&document, operation.path[...], value, operation)
            default:
                guard Self.get(document, operation.path[...]) == operation.value else {
                    throw Failure(message: "testing value \(where_) failed: test failed")
                }
            }
        }
    }

    static func get(_ value: JSONValue, _ path: ArraySlice<String>) -> JSONValue? {
        guard let first = path.first else { return value }
        switch value {
        case .object(let members):
            return members[first].flatMap { get($0, path.dropFirst()) }
        case .array(let items):
            guard let index = Int(first), items.indices.contains(index) else { return nil }
            return get(items[index], path.dropFirst())
        default:
            return nil
        }
    }

    static func add(_ value: inout JSONValue, _ path: ArraySlice<String>, _ new: JSONValue, _ operation: Operation) throws(Failure) {
        guard let first = path.first else {
            value = new
            return
        }
        let last = path.count == 1
        switch value {
        case .object(var members):
            if last {
                members[first] = new
            } else {
                guard var child = members[first] else {
                    throw Failure(message: "add operation does not apply: doc is missing path: \"/\(operation.path.joined(separator: "/"))\": missing value")
                }
                members[first] = .null
                try add(&child, path.dropFirst(), new, operation)
                members[first] = child
            }
            value = .object(members)
        case .array(var items):
            if last {
                if first == "-" {
                    items.append(new)
                } else {
                    guard let index = Int(first), index >= 0, index <= items.count else {
                        throw Failure(message: "add operation does not apply: index out of range: \(first)")
                    }
                    items.insert(new, at: index)
                }
            } else {
                guard let index = Int(first), items.indices.contains(index) else {
                    throw Failure(message: "add operation does not apply: doc is missing path: \"/\(operation.path.joined(separator: "/"))\"")
                }
                try add(&items[index], path.dropFirst(), new, operation)
            }
            value = .array(items)
        default:
            throw Failure(message: "add operation does not apply: doc is missing path: \"/\(operation.path.joined(separator: "/"))\"")
        }
    }

    /// Removes and returns the value at `path`; nil when it is not there.
    static func remove(_ value: inout JSONValue, _ path: ArraySlice<String>, _ operation: Operation) throws(Failure) -> JSONValue? {
        guard let first = path.first else { return nil }
        let last = path.count == 1
        switch value {
        case .object(var members):
            guard var child = members[first] else { return nil }
            let removed: JSONValue?
            if last {
                removed = members.removeValue(forKey: first)
            } else {
                members[first] = .null
                removed = try remove(&child, path.dropFirst(), operation)
                members[first] = child
            }
            value = .object(members)
            return removed
        case .array(var items):
            guard let index = Int(first), items.indices.contains(index) else { return nil }
            let removed: JSONValue?
            if last {
                removed = items.remove(at: index)
            } else {
                removed = try remove(&items[index], path.dropFirst(), operation)
            }
            value = .array(items)
            return removed
        default:
            return nil
        }
    }
}
