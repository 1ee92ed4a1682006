extension JSONValue {
    /// Whether `other` is this very value: the same storage for objects and arrays (one was
    /// copied from the other and neither changed since), the same bytes for strings, the same
    /// bits for numbers.
    ///
    /// Stricter than `==`, which holds for strings that are only canonically equivalent (`é` as
    /// one code point or two) and for `0.0` and `-0.0`: a transformation whose result depends
    /// only on its input can hand an identical input the result it made before, and the output
    /// is byte for byte what it would have been.
    public func isIdentical(to other: JSONValue) -> Bool {
        switch (self, other) {
        case (.null, .null):
            return true
        case (.bool(let left), .bool(let right)):
            return left == right
        case (.integer(let left), .integer(let right)):
            return left == right
        case (.number(let left), .number(let right)):
            return left.bitPattern == right.bitPattern
        case (.string(let left), .string(let right)):
            return left.utf8.elementsEqual(right.utf8)
        case (.array(let left), .array(let right)):
            guard left.count == right.count else { return false }
            guard !left.isEmpty else { return true }
            return left.withUnsafeBufferPointer { l in right.withUnsafeBufferPointer { r in l.baseAddress == r.baseAddress } }
        case (.object(let left), .object(let right)):
            return left.isIdentical(to: right)
        default:
            return false
        }
    }
}

extension JSONObject {
    /// Whether `other` shares this object's storage (see `JSONValue.isIdentical(to:)`); two
    /// empty objects are identical.
    public func isIdentical(to other: JSONObject) -> Bool {
        guard entries.count == other.entries.count else { return false }
        guard !entries.isEmpty else { return true }
        return entries.withUnsafeBufferPointer { left in
            other.entries.withUnsafeBufferPointer { right in left.baseAddress == right.baseAddress }
        }
    }
}
