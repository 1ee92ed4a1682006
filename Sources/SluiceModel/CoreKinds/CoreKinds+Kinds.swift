/// The schemas of the core kinds, from the Kubernetes API reference (v1.36) for the fields
/// Sluice and its users touch.
extension CoreKinds {
    static var namespace: Object {
        let spec = S.object(["finalizers": S.array(of: S.string(), listType: "atomic")])
        let status = open(["phase": S.string(enum: ["Active", "Terminating"])])
        return definition(
            group: "", version: "v1", kind: "Namespace", plural: "namespaces", shortNames: ["ns"], namespaced: false,
            statusSubresource: true, schema: root([("spec", spec), ("status", status)]))
    }

    static var service: Object {
        let servicePort = open([
            "name": S.string(), "protocol": S.string(enum: ["TCP", "UDP", "SCTP"], default: "TCP"),
            "appProtocol": S.string(), "port": port, "targetPort": intOrString, "nodePort": int32,
        ], required: ["port"])
        let spec = open([
            "type": S.string(enum: ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]),
            "selector": S.map(of: S.string(), rules: []).withMapType("atomic"),
            "ports": S.array(of: servicePort, listType: "map", mapKeys: ["port", "protocol"]),
            "clusterIP": S.string(), "clusterIPs": S.array(of: S.string(), listType: "atomic"),
            "externalName": S.string(), "sessionAffinity": S.string(enum: ["ClientIP", "None"]),
        ])
        let status = open(["loadBalancer": open(["ingress": S.array(of: open(["ip": S.string(), "hostname": S.string()]), listType: "atomic")])])
        return definition(
            group: "", version: "v1", kind: "Service", plural: "services", shortNames: ["svc"], statusSubresource: true,
            schema: root([("spec", spec), ("status", status)]))
    }

    static var endpointSlice: Object {
        let endpoint = open([
            "addresses": S.array(of: S.string(), minItems: 1, maxItems: 100, listType: "set"),
            "conditions": open(["ready": ["type": "boolean"], "serving": ["type": "boolean"], "terminating": ["type": "boolean"]]),
            "hostname": S.string(), "nodeName": S.string(), "zone": S.string(), "targetRef": objectReference,
        ], required: ["addresses"])
        let endpointPort = open([
            "name": S.string(), "protocol": S.string(enum: ["TCP", "UDP", "SCTP"]), "port": int32, "appProtocol": S.string(),
        ])
        let schema = S.object(
            fields: [
                ("apiVersion", S.string()), ("kind", S.string()), ("metadata", ["type": "object"]),
                ("addressType", S.string(enum: ["IPv4", "IPv6", "FQDN"])),
                ("endpoints", S.array(of: endpoint, maxItems: 1000, listType: "atomic")),
                ("ports", S.array(of: endpointPort, maxItems: 20000, listType: "atomic")),
            ], required: ["addressType", "endpoints"])
        return definition(group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice", plural: "endpointslices", schema: schema)
    }

    static var secret: Object {
        definition(
            group: "", version: "v1", kind: "Secret", plural: "secrets",
            schema: root([
                ("data", S.map(of: S.string(format: "byte"))), ("stringData", stringMap), ("type", S.string()),
                ("immutable", ["type": "boolean"]),
            ]))
    }

    static var configMap: Object {
        definition(
            group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", shortNames: ["cm"],
            schema: root([("data", stringMap), ("binaryData", S.map(of: S.string(format: "byte"))), ("immutable", ["type": "boolean"])]))
    }

    static var event: Object {
        let source = open(["component": S.string(), "host": S.string()])
        return definition(
            group: "", version: "v1", kind: "Event", plural: "events", shortNames: ["ev"],
            schema: root([
                ("involvedObject", objectReference), ("reason", S.string()), ("message", S.string()),
                ("type", S.string()), ("count", int32), ("source", source),
                ("firstTimestamp", S.string(format: "date-time")), ("lastTimestamp", S.string(format: "date-time")),
                ("eventTime", S.string()), ("reportingComponent", S.string()), ("reportingInstance", S.string()),
                ("action", S.string()),
            ]))
    }

    static var lease: Object {
        let spec = open([
            "holderIdentity": S.string(), "leaseDurationSeconds": int32, "acquireTime": S.string(),
            "renewTime": S.string(), "leaseTransitions": int32,
        ])
        return definition(
            group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", schema: root([("spec", spec)]))
    }
}

extension JSONValue {
    /// The schema with `x-kubernetes-map-type` set.
    func withMapType(_ type: String) -> JSONValue {
        guard case .object(var members) = self else { return self }
        members["x-kubernetes-map-type"] = .string(type)
        return .object(members)
    }
}
