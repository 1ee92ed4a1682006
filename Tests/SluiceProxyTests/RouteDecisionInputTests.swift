import NIOHTTP1
import SluiceModel
import SluiceProxy
import Testing

/// Request heads the route table must survive, found by FuzzProxyRouting.
struct RouteDecisionInputTests {
    static let table: RouteTable = {
        let yaml = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: sluice}
            spec: {controllerName: sluice.dev/gateway-controller}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gw, namespace: ns}
            spec:
              gatewayClassName: sluice
              listeners:
                - {name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: Same}}}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: svc, namespace: ns}
            spec: {ports: [{port: 8080}]}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: r, namespace: ns}
            spec:
              parentRefs: [{name: gw}]
              hostnames: [a.test]
              rules:
                - matches: [{path: {type: RegularExpression, value: "/re/[a-z]+/[0-9]*"}, queryParams: [{name: q, value: v}]}]
                  backendRefs: [{name: svc, port: 8080}]
                - matches: [{path: {type: PathPrefix, value: /prefix/}}]
                  backendRefs: [{name: svc, port: 8080}]
            """
        let objects = try! YAMLDecoder().objects(yaml, file: "routes.yaml")
        return RouteCompiler().compile(try! ProxyInput(objects: objects), now: "2026-11-29T00:00:00Z").table
    }()

    @Test("a request target that is not a path, odd methods and header names decide without a crash",
          arguments: ["weA&/q/r", "?", "", "&q", "/re/a/1?q", "/re/a/1?&&q=v&", "%", "/%zz", "/prefix/%C3%28"])
    func oddTargets(_ uri: String) {
        var headers = HTTPHeaders()
        headers.add(name: "HoGET /st", value: "re/&q\u{FFFD}")
        _ = Self.table.decide(port: 80, host: "a.test", method: "G\u{0}\u{1A}", uri: uri, headers: headers)
    }
}
