import OrderedCollections

/// The members of a JSON object, in the order they were written.
///
/// It offers the part of `OrderedDictionary`'s API that Sluice uses, but keeps each member as
/// one (key, value) pair in a single array: an `OrderedDictionary` is two arrays (keys and
/// values), and a render holds hundreds of thousands of small mappings, so one array instead of
/// two halves their allocations. Kubernetes objects are small, so a key is found by comparing
/// keys in turn; objects with more than `indexThreshold` members (a large ConfigMap's `data`)
/// also keep a hash index, so that building and reading them stays linear.
public struct JSONObject: Sendable {
    /// One member.
    public typealias Element = (key: String, value: JSONValue)

    @usableFromInline var entries: ContiguousArray<Element>
    /// Position of each key, kept only for objects larger than `indexThreshold`.
    @usableFromInline var index: [String: Int]?

    /// Up to this many members, keys are compared one by one rather than hashed.
    @usableFromInline static var indexThreshold: Int { 16 }

    public init() {
        entries = []
        index = nil
    }

    public init(minimumCapacity: Int) {
        entries = []
        entries.reserveCapacity(minimumCapacity)
        index = nil
    }

    /// The members of `elements`, whose keys must be unique.
    public init<S: Sequence>(uniqueKeysWithValues elements: S) where S.Element == (String, JSONValue) {
        self.init()
        for (key, value) in elements {
            precondition(self.index(forKey: key) == nil, "duplicate key \(key)")
            append(key, value)
        }
    }

    /// The members of `elements`, whose keys must be unique.
    public init<S: Sequence>(uniqueKeysWithValues elements: S) where S.Element == (key: String, value: JSONValue) {
        self.init(uniqueKeysWithValues: elements.lazy.map { ($0.key, $0.value) })
    }

    /// The members of an ordered dictionary, each value turned into JSON by `transform`.
    public init<Value>(_ dictionary: OrderedDictionary<String, Value>, transform: (Value) throws -> JSONValue) rethrows {
        var entries = ContiguousArray<Element>()
        entries.reserveCapacity(dictionary.count)
        for (key, value) in dictionary { entries.append((key, try transform(value))) }
        self.init(uncheckedEntries: entries)
    }

    /// The members of `elements`; for a repeated key, `combine` decides the value (the first
    /// position is kept, as `OrderedDictionary` keeps it).
    public init<S: Sequence>(
        _ elements: S, uniquingKeysWith combine: (JSONValue, JSONValue) throws -> JSONValue
    ) rethrows where S.Element == (String, JSONValue) {
        self.init()
        for (key, value) in elements {
            if let position = self.index(forKey: key) {
                entries[position].value = try combine(entries[position].value, value)
            } else {
                append(key, value)
            }
        }
    }

    /// An object of exactly these entries, whose keys are known to be unique (the decoder's
    /// fast path: it has checked them already).
    @inlinable
    init(uncheckedEntries entries: ContiguousArray<Element>) {
        self.entries = entries
        self.index = nil
        if entries.count > Self.indexThreshold { rebuildIndex() }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// The members as a random-access collection, in order.
    public var elements: ContiguousArray<Element> { entries }

    /// The position of `key`, or nil.
    @inlinable
    public func index(forKey key: String) -> Int? {
        if let index { return index[key] }
        for position in entries.indices where entries[position].key == key { return position }
        return nil
    }

    /// The value of `key`; setting nil removes the member, setting a new key appends it.
    @inlinable
    public subscript(key: String) -> JSONValue? {
        get {
            guard let position = index(forKey: key) else { return nil }
            return entries[position].value
        }
        _modify {
            if let position = index(forKey: key) {
                // Moved out, so that a nested value being edited stays uniquely referenced.
                var value: JSONValue? = entries[position].value
                entries[position].value = .null
                defer {
                    if let value { entries[position].value = value } else { remove(at: position) }
                }
                yield &value
            } else {
                var value: JSONValue? = nil
                defer { if let value { append(key, value) } }
                yield &value
            }
        }
    }

    /// The value of `key`, or `defaultValue` (which is stored when the value is modified).
    @inlinable
    public subscript(key: String, default defaultValue: @autoclosure () -> JSONValue) -> JSONValue {
        get { self[key] ?? defaultValue() }
        _modify {
            let position: Int
            if let found = index(forKey: key) {
                position = found
            } else {
                append(key, defaultValue())
                position = entries.count - 1
            }
            var value = entries[position].value
            entries[position].value = .null
            defer { entries[position].value = value }
            yield &value
        }
    }

    /// The keys, in order.
    public var keys: Keys { Keys(entries: entries) }

    /// The values, in order; they can be replaced in place.
    public var values: Values {
        get { Values(entries: entries) }
        _modify {
            var values = Values(entries: entries)
            entries = []
            defer { entries = values.entries }
            yield &values
        }
    }

    /// Sets `value` for `key` and returns the previous value, if any.
    @discardableResult
    public mutating func updateValue(_ value: JSONValue, forKey key: String) -> JSONValue? {
        if let position = index(forKey: key) {
            let old = entries[position].value
            entries[position].value = value
            return old
        }
        append(key, value)
        return nil
    }

    /// Sets `value` for `key`; a new key is inserted at `position`. Returns the previous value
    /// and the member's position.
    @discardableResult
    public mutating func updateValue(
        _ value: JSONValue, forKey key: String, insertingAt position: Int
    ) -> (originalMember: JSONValue?, index: Int) {
        if let found = index(forKey: key) {
            let old = entries[found].value
            entries[found].value = value
            return (old, found)
        }
        entries.insert((key, value), at: position)
        reindex()
        return (nil, position)
    }

    /// Removes `key` and returns its value, if it was there.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let position = index(forKey: key) else { return nil }
        return remove(at: position).value
    }

    /// Removes the member at `position`.
    @discardableResult
    public mutating func remove(at position: Int) -> Element {
        let removed = entries.remove(at: position)
        reindex()
        return removed
    }

    public mutating func removeAll(keepingCapacity: Bool = false) {
        entries.removeAll(keepingCapacity: keepingCapacity)
        index = nil
    }

    public mutating func removeAll(where shouldRemove: (Element) throws -> Bool) rethrows {
        try entries.removeAll(where: shouldRemove)
        reindex()
    }

    public mutating func reserveCapacity(_ minimumCapacity: Int) {
        entries.reserveCapacity(minimumCapacity)
    }

    /// Merges `other` in: new keys are appended, existing ones take `combine`'s value.
    public mutating func merge<S: Sequence>(
        _ other: S, uniquingKeysWith combine: (JSONValue, JSONValue) throws -> JSONValue
    ) rethrows where S.Element == (key: String, value: JSONValue) {
        for (key, value) in other {
            if let position = index(forKey: key) {
                entries[position].value = try combine(entries[position].value, value)
            } else {
                append(key, value)
            }
        }
    }

    /// Merges `other`'s members in: new keys are appended, existing ones take `combine`'s value.
    public mutating func merge(
        _ other: JSONObject, uniquingKeysWith combine: (JSONValue, JSONValue) throws -> JSONValue
    ) rethrows {
        try merge(other.entries, uniquingKeysWith: combine)
    }

    /// The members for which `isIncluded` holds, in order.
    public func filter(_ isIncluded: (Element) throws -> Bool) rethrows -> JSONObject {
        JSONObject(uncheckedEntries: try entries.filter(isIncluded))
    }

    /// The same keys with transformed values.
    public func mapValues(_ transform: (JSONValue) throws -> JSONValue) rethrows -> JSONObject {
        var result = entries
        for position in result.indices { result[position].value = try transform(result[position].value) }
        return JSONObject(uncheckedEntries: result)
    }

    /// Reorders the members.
    public mutating func sort(by areInIncreasingOrder: (Element, Element) throws -> Bool) rethrows {
        try entries.sort(by: areInIncreasingOrder)
        reindex()
    }

    /// Sorts the members by key.
    public mutating func sort() {
        entries.sort { $0.key < $1.key }
        reindex()
    }

    public mutating func swapAt(_ first: Int, _ second: Int) {
        entries.swapAt(first, second)
        reindex()
    }

    /// Drops spare capacity (one copy of the members, when there is any).
    mutating func shrinkToFit() {
        guard entries.capacity > entries.count else { return }
        entries = ContiguousArray(exactly: entries)
    }

    @inlinable
    mutating func append(_ key: String, _ value: JSONValue) {
        entries.append((key, value))
        if index != nil {
            index![key] = entries.count - 1
        } else if entries.count > Self.indexThreshold {
            rebuildIndex()
        }
    }

    @usableFromInline
    mutating func reindex() {
        if entries.count > Self.indexThreshold { rebuildIndex() } else { index = nil }
    }

    @usableFromInline
    mutating func rebuildIndex() {
        var index: [String: Int] = [:]
        index.reserveCapacity(entries.count)
        for (position, entry) in entries.enumerated() { index[entry.key] = position }
        self.index = index
    }
}

extension JSONObject {
    /// The keys of an object, in order.
    public struct Keys: RandomAccessCollection, Sendable {
        let entries: ContiguousArray<JSONObject.Element>
        public var startIndex: Int { entries.startIndex }
        public var endIndex: Int { entries.endIndex }
        public subscript(position: Int) -> String { entries[position].key }
    }

    /// The values of an object, in order; replacing one keeps its key.
    public struct Values: RandomAccessCollection, MutableCollection, Sendable {
        var entries: ContiguousArray<JSONObject.Element>
        public var startIndex: Int { entries.startIndex }
        public var endIndex: Int { entries.endIndex }
        public subscript(position: Int) -> JSONValue {
            get { entries[position].value }
            set { entries[position].value = newValue }
        }
    }
}

extension JSONObject: Sequence {
    public func makeIterator() -> ContiguousArray<Element>.Iterator { entries.makeIterator() }
    public var underestimatedCount: Int { entries.count }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// Later values win for repeated keys, as JSONValue's literal always did.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements, uniquingKeysWith: { _, last in last })
    }
}

extension JSONObject: Hashable {
    /// Equal when the same keys hold equal values in the same order (as `OrderedDictionary`).
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.entries.count == rhs.entries.count else { return false }
        return zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(entries.count)
        for entry in entries {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }
}

extension JSONObject: CustomStringConvertible {
    public var description: String {
        guard !entries.isEmpty else { return "[:]" }
        return "[" + entries.map { "\(String(reflecting: $0.key)): \($0.value)" }.joined(separator: ", ") + "]"
    }
}

extension ContiguousArray {
    /// A copy of `elements` in storage of exactly their count (an array built by appending
    /// keeps up to twice the room it needs).
    init(exactly elements: some Collection<Element>) {
        let count = elements.count
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = buffer.initialize(fromContentsOf: elements)
        }
    }
}

extension Array {
    /// A copy of `elements` in storage of exactly their count.
    init(exactly elements: some Collection<Element>) {
        let count = elements.count
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = buffer.initialize(fromContentsOf: elements)
        }
    }
}
