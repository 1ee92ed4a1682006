import SluiceModel
import Testing

/// `JSONObject` stands in for the `OrderedDictionary` objects used to be: the same order, the
/// same value semantics, the same answers with and without its hash index.
@Suite struct JSONObjectTests {
    @Test("keys keep their order; setting nil removes, a new key goes last")
    func orderAndEdits() {
        var object: JSONObject = ["b": 1, "a": 2, "c": 3]
        #expect(Array(object.keys) == ["b", "a", "c"])
        object["a"] = nil
        object["d"] = 4
        object["b"] = "x"
        #expect(Array(object.keys) == ["b", "c", "d"])
        #expect(object.map(\.value) == ["x", 3, 4])
        #expect(object.removeValue(forKey: "c") == 3)
        #expect(object.removeValue(forKey: "c") == nil)
        #expect(object.updateValue(5, forKey: "e") == nil)
        #expect(object.updateValue(6, forKey: "e") == 5)
        object.updateValue(0, forKey: "first", insertingAt: 0)
        #expect(Array(object.keys) == ["first", "b", "d", "e"])
        // A literal with a repeated key keeps the last value, as JSONValue's always did.
        let repeated: JSONObject = ["k": 1, "k": 2]
        #expect(repeated.count == 1 && repeated["k"] == 2)
    }

    @Test("equality and hashing follow the order of the members")
    func equality() {
        let first: JSONObject = ["a": 1, "b": 2]
        let same: JSONObject = ["a": 1, "b": 2]
        let reordered: JSONObject = ["b": 2, "a": 1]
        #expect(first == same && first.hashValue == same.hashValue)
        #expect(first != reordered)
        #expect(JSONValue.object(first) != JSONValue.object(["a": 1]))
    }

    @Test("a nested edit changes the edited value only, never a copy of it")
    func valueSemantics() {
        var route: JSONValue = ["spec": ["rules": [["name": "a"]]]]
        let copy = route
        route["spec"]?["extra"] = true
        if case .object(var spec) = route["spec"] ?? .null {
            spec["rules"] = [["name": "b"]]
            route["spec"] = .object(spec)
        }
        #expect(copy == ["spec": ["rules": [["name": "a"]]]])
        #expect(route == ["spec": ["rules": [["name": "b"]], "extra": true]])
        var object: JSONObject = ["labels": ["app": "shop"]]
        let before = object
        object["labels"]?["env"] = "prod"
        object["count", default: 0] = 7
        #expect(before == ["labels": ["app": "shop"]])
        #expect(object == ["labels": ["app": "shop", "env": "prod"], "count": 7])
    }

    @Test("large objects (hash-indexed) answer as small ones do, through inserts, removals and sorting")
    func largeObjects() {
        var object = JSONObject()
        var reference: [(String, JSONValue)] = []
        for index in 0..<200 {
            let key = "key-\((index * 37) % 200)"
            object[key] = .integer(Int64(index))
            reference.append((key, .integer(Int64(index))))
        }
        #expect(object.count == 200)
        #expect(Array(object.keys) == reference.map(\.0))
        for (key, value) in reference { #expect(object[key] == value) }
        // Removing shifts every later member: lookups must follow.
        for index in stride(from: 0, to: 200, by: 3) { object["key-\(index)"] = nil }
        reference.removeAll { key, _ in Int(key.dropFirst(4))! % 3 == 0 }
        #expect(Array(object.keys) == reference.map(\.0))
        for (key, value) in reference { #expect(object[key] == value) }
        #expect(object["key-3"] == nil && object.index(forKey: "key-3") == nil)
        object.sort()
        let sorted = reference.sorted { $0.0 < $1.0 }
        #expect(Array(object.keys) == sorted.map(\.0))
        for (position, (key, _)) in sorted.enumerated() { #expect(object.index(forKey: key) == position) }
        // Shrinking below the index's threshold, then growing past it again.
        object.removeAll { !$0.key.hasPrefix("key-1") }
        let kept = sorted.filter { $0.0.hasPrefix("key-1") }
        #expect(Array(object.keys) == kept.map(\.0))
        for (key, value) in kept { #expect(object[key] == value) }
    }

    @Test("filter, mapValues, merge and values keep keys and order")
    func collectionOperations() {
        var object: JSONObject = ["a": 1, "b": 2, "c": 3]
        #expect(object.filter { $0.key != "b" } == ["a": 1, "c": 3])
        #expect(object.mapValues { .integer(($0.integerValue ?? 0) * 10) } == ["a": 10, "b": 20, "c": 30])
        object.merge(["c": 4, "d": 5] as JSONObject) { _, new in new }
        #expect(object == ["a": 1, "b": 2, "c": 4, "d": 5])
        object.values[0] = "one"
        #expect(object == ["a": "one", "b": 2, "c": 4, "d": 5])
        #expect(JSONObject(uniqueKeysWithValues: [("x", JSONValue.null), ("y", true)]) == ["x": nil, "y": true])
    }

    @Test("a value is 24 bytes (an OrderedDictionary payload made it 32), an object's member 40, an Object 24")
    func layout() {
        #expect(MemoryLayout<JSONObject>.size == 16)
        #expect(MemoryLayout<JSONValue>.stride == 24)
        #expect(MemoryLayout<JSONObject.Element>.stride == 40)
        // Its source positions are held by reference (112 bytes inline before).
        #expect(MemoryLayout<Object>.stride == 24)
    }

    @Test("an Object's positions survive copies and edits, and take part in equality")
    func objectPositions() throws {
        let decoded = try YAMLDecoder().objects("apiVersion: v1\nkind: ConfigMap\nb:\n  c: 2\n", file: "f.yaml")
        var copy = decoded[0]
        copy.content["d"] = 3
        #expect(copy.positions?.file == "f.yaml")
        #expect(copy.location(of: FieldPath(parsing: "b.c"))?.line == 4)
        #expect(Object(decoded[0].content) != decoded[0])
        #expect(Object(decoded[0].content, positions: decoded[0].positions) == decoded[0])
    }
}
