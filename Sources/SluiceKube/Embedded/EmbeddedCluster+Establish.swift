import SluiceModel

extension EmbeddedCluster {
    /// What the apiextensions controllers of a real API server write right after a CRD is
    /// created: the names accepted and the CRD Established (both True), `acceptedNames` and
    /// `storedVersions`, as a status update by `kube-apiserver`. Here the kinds are served the
    /// moment the CRD is stored, so it is established at once; waiting for Established (as
    /// Sluice's sync does before applying custom resources) then works as on a real cluster.
    func establish(_ crd: JSONValue, served: Served) throws(APIError) -> JSONValue {
        let conditions = crd["status"]?["conditions"]?.arrayValue ?? []
        let established = conditions.contains { $0["type"]?.stringValue == "Established" && $0["status"]?.stringValue == "True" }
        let names = crd["spec"]?["names"]
        guard !established || crd["status"]?["acceptedNames"] != names else { return crd }
        let now = JSONValue.string(timestamp())
        let storedVersions = (crd["spec"]?["versions"]?.arrayValue ?? []).filter { $0["storage"]?.boolValue == true }.compactMap { $0["name"] }
        let status: JSONValue = .object([
            "conditions": .array([
                .object([
                    "type": "NamesAccepted", "status": "True", "lastTransitionTime": now, "reason": "NoConflicts",
                    "message": "no conflicts found",
                ]),
                .object([
                    "type": "Established", "status": "True", "lastTransitionTime": now, "reason": "InitialNamesAccepted",
                    "message": "the initial names have been accepted",
                ]),
            ]),
            "acceptedNames": names ?? .object([:]),
            "storedVersions": .array(storedVersions),
        ])
        let name = crd["metadata"]?["name"]?.stringValue ?? ""
        let result = try mergePatch(
            served, namespace: nil, name: name, patch: ["status": status], manager: "kube-apiserver",
            subresource: served.entry.statusSubresource ? "status" : nil, fieldValidation: nil)
        return result.value
    }
}
