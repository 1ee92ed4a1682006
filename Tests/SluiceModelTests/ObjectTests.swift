import SluiceModel
import Testing

@Suite("Object accessors")
struct ObjectTests {
    @Test("identity, labels and annotations read and write through metadata")
    func accessors() {
        var object = Object(["apiVersion": "v1", "kind": "Service", "metadata": ["name": "blue"]])
        #expect(object.group == "")
        #expect(object.version == "v1")
        #expect(object.namespace == nil)
        #expect(object.reference.description == "Service blue")
        object.namespace = "demo"
        object.labels = ["app": "shop"]
        object.annotations["sluice.dev/prune"] = "disabled"
        #expect(object.reference.description == "Service demo/blue")
        #expect(object.metadata["labels"] == ["app": "shop"])
        #expect(object.annotations == ["sluice.dev/prune": "disabled"])
        object.labels = [:]
        #expect(object.metadata["labels"] == nil)
    }

    @Test("field paths print and parse as the API server writes them")
    func fieldPaths() {
        let path = FieldPath.root.appending("spec").appending("rules").appending(0).appending("backendRefs").appending(1).appending("weight")
        #expect(path.description == "spec.rules[0].backendRefs[1].weight")
        #expect(FieldPath(parsing: path.description) == path)
    }
}
