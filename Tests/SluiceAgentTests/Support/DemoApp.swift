import SluiceTestSupport

/// The Git repository of the end-to-end tests: one namespace, a Gateway on port 80, and an
/// HTTPRoute whose path and header filter the tests change commit by commit.
struct DemoApp {
    var upstreamPort: Int
    var path = "/v1"
    var stage = "one"
    var weight = 1

    func write(to repository: TestRepository) throws {
        try repository.write("app/kustomization.yaml", """
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            namespace: e2e
            resources:
              - namespace.yaml
              - app.yaml
            """)
        try repository.write("app/namespace.yaml", """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: e2e
            """)
        try repository.write("app/app.yaml", """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata:
              name: edge
            spec:
              gatewayClassName: sluice
              listeners:
                - name: http
                  protocol: HTTP
                  port: 80
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: app
            spec:
              ports:
                - name: http
                  port: 8080
                  protocol: TCP
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: app-local
              labels:
                kubernetes.io/service-name: app
            addressType: IPv4
            endpoints:
              - addresses: [127.0.0.1]
                conditions:
                  ready: true
            ports:
              - name: http
                port: \(upstreamPort)
                protocol: TCP
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              name: app
            spec:
              parentRefs:
                - name: edge
              hostnames:
                - app.e2e.test
              rules:
                - matches:
                    - path:
                        type: PathPrefix
                        value: \(path)
                  filters:
                    - type: RequestHeaderModifier
                      requestHeaderModifier:
                        set:
                          - name: x-stage
                            value: \(stage)
                  backendRefs:
                    - name: app
                      port: 8080
                      weight: \(weight)
            """)
    }
}
