import SluiceModel

extension CanarySpec {
    /// The CustomResourceDefinition of `Canary`, which the agent installs and `deploy/` carries
    /// (`deploy/crds/canaries.sluice.dev.yaml`; a test keeps the two identical).
    public static var customResourceDefinition: Object {
        // The text is ours and fixed: failing to read it is a bug caught by the tests.
        try! YAMLDecoder().objects(customResourceDefinitionYAML, file: "canaries.sluice.dev.yaml")[0]
    }

    /// The CRD as YAML, exactly as `deploy/crds/canaries.sluice.dev.yaml` holds it.
    public static let customResourceDefinitionYAML = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: canaries.sluice.dev
        spec:
          group: sluice.dev
          names:
            categories:
            - sluice
            kind: Canary
            listKind: CanaryList
            plural: canaries
            singular: canary
          scope: Namespaced
          versions:
          - additionalPrinterColumns:
            - jsonPath: .spec.routeRef.name
              name: Route
              type: string
            - jsonPath: .status.phase
              name: Phase
              type: string
            - jsonPath: .status.step
              name: Step
              type: integer
            - jsonPath: .status.revision
              name: Revision
              priority: 1
              type: string
            - jsonPath: .metadata.creationTimestamp
              name: Age
              type: date
            name: v1alpha1
            schema:
              openAPIV3Schema:
                properties:
                  apiVersion:
                    type: string
                  kind:
                    type: string
                  metadata:
                    type: object
                  spec:
                    properties:
                      failureLimit:
                        default: 2
                        minimum: 1
                        type: integer
                      interval:
                        default: 30s
                        pattern: ^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$
                        type: string
                      manualGates:
                        items:
                          enum:
                          - beforeRollout
                          - beforePromotion
                          type: string
                        maxItems: 2
                        type: array
                        x-kubernetes-list-type: set
                      minRequests:
                        default: 20
                        minimum: 1
                        type: integer
                      probes:
                        items:
                          properties:
                            every:
                              default: 1s
                              pattern: ^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$
                              type: string
                            expect:
                              properties:
                                bodyContains:
                                  maxLength: 1024
                                  type: string
                                maxLatency:
                                  pattern: ^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$
                                  type: string
                                status:
                                  items:
                                    maximum: 599
                                    minimum: 100
                                    type: integer
                                  maxItems: 16
                                  type: array
                                  x-kubernetes-list-type: set
                              type: object
                            name:
                              maxLength: 63
                              minLength: 1
                              type: string
                            request:
                              properties:
                                headers:
                                  additionalProperties:
                                    type: string
                                  maxProperties: 16
                                  type: object
                                hostname:
                                  maxLength: 253
                                  type: string
                                method:
                                  default: GET
                                  enum:
                                  - GET
                                  - HEAD
                                  - POST
                                  - PUT
                                  - DELETE
                                  - PATCH
                                  - OPTIONS
                                  type: string
                                path:
                                  default: /
                                  maxLength: 1024
                                  pattern: ^/
                                  type: string
                                port:
                                  maximum: 65535
                                  minimum: 1
                                  type: integer
                                scheme:
                                  enum:
                                  - http
                                  - https
                                  type: string
                              type: object
                          required:
                          - name
                          - request
                          type: object
                        maxItems: 8
                        type: array
                        x-kubernetes-list-map-keys:
                        - name
                        x-kubernetes-list-type: map
                      routeRef:
                        properties:
                          group:
                            default: gateway.networking.k8s.io
                            enum:
                            - gateway.networking.k8s.io
                            type: string
                          kind:
                            default: HTTPRoute
                            enum:
                            - HTTPRoute
                            - GRPCRoute
                            type: string
                          name:
                            maxLength: 253
                            minLength: 1
                            type: string
                          rule:
                            minimum: 0
                            type: integer
                          ruleName:
                            maxLength: 253
                            minLength: 1
                            type: string
                        required:
                        - name
                        type: object
                        x-kubernetes-validations:
                        - message: set ruleName or rule, not both
                          rule: '!(has(self.ruleName) && has(self.rule))'
                      steps:
                        items:
                          maximum: 100
                          minimum: 1
                          type: integer
                        maxItems: 20
                        minItems: 1
                        type: array
                        x-kubernetes-list-type: atomic
                      successRate:
                        default: 0.99
                        maximum: 1
                        minimum: 0
                        type: number
                    required:
                    - routeRef
                    - steps
                    type: object
                  status:
                    type: object
                    x-kubernetes-preserve-unknown-fields: true
                required:
                - spec
                type: object
            served: true
            storage: true
            subresources:
              status: {}

        """

    /// Checks the schema cannot express (steps must rise): one message per problem, with its field.
    public func problems() -> [String] {
        var problems: [String] = []
        for (index, pair) in zip(steps, steps.dropFirst()).enumerated() where pair.1 <= pair.0 {
            problems.append("spec.steps[\(index + 1)]: \(pair.1) must be greater than the step before it (\(pair.0))")
        }
        return problems
    }
}
