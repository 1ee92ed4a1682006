import SluiceModel

extension RepositoryLayout {
    /// The schema of `sluice.yaml`, in the OpenAPI v3 form CRDs use, so that its problems read
    /// like the API server's.
    static let schema: JSONValue = {
        let dnsLabel: JSONValue = [
            "type": "string", "minLength": 1, "maxLength": 63, "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        ]
        let ignoreRule: JSONValue = [
            "type": "object",
            "required": ["paths"],
            "properties": [
                "group": ["type": "string"],
                "kind": ["type": "string"],
                "namespace": ["type": "string"],
                "name": ["type": "string"],
                "paths": ["type": "array", "minItems": 1, "items": ["type": "string", "minLength": 1]],
            ],
        ]
        let target: JSONValue = [
            "type": "object",
            "required": ["name", "path"],
            "properties": [
                "name": dnsLabel,
                "path": ["type": "string", "minLength": 1, "maxLength": 4096],
                "namespace": dnsLabel,
                "driftMode": ["type": "string", "enum": ["correct", "alert"], "default": "correct"],
                "prune": ["type": "boolean", "default": true],
                "allowEmpty": ["type": "boolean", "default": false],
                "canaries": ["type": "boolean", "default": true],
                "ignore": ["type": "array", "items": ignoreRule, "default": []],
            ],
        ]
        return [
            "type": "object",
            "required": ["apiVersion", "kind", "targets"],
            "properties": [
                "apiVersion": ["type": "string", "enum": ["sluice.dev/v1alpha1"]],
                "kind": ["type": "string", "enum": ["SyncConfig"]],
                "interval": ["type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"],
                "targets": [
                    "type": "array", "minItems": 1, "items": target,
                    "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                ],
            ],
        ]
    }()
}
