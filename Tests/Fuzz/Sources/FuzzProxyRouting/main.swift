import FuzzSupport
import NIOHTTP1
import SluiceModel
import SluiceProxy

/// Routes using every kind of match (exact, prefix and regex paths, headers, query parameters,
/// methods; a GRPCRoute's service and method matches) over three hostnames, compiled once.
let table: RouteTable = {
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
            - {name: wild, protocol: HTTP, port: 80, hostname: "*.wild.test", allowedRoutes: {namespaces: {from: Same}}}
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
          hostnames: [a.test, "*.wild.test"]
          rules:
            - matches: [{path: {type: Exact, value: /exact}}]
              backendRefs: [{name: svc, port: 8080}]
            - matches: [{path: {type: PathPrefix, value: /prefix/}, headers: [{name: x-a, value: "1"}], method: POST}]
              filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /r}}}]
              backendRefs: [{name: svc, port: 8080}]
            - matches: [{path: {type: RegularExpression, value: "/re/[a-z]+/[0-9]*"}, queryParams: [{name: q, value: v}]}]
              backendRefs: [{name: svc, port: 8080}]
            - matches: [{headers: [{type: RegularExpression, name: x-re, value: "^a.*z$"}]}]
              filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: GRPCRoute
        metadata: {name: g, namespace: ns}
        spec:
          parentRefs: [{name: gw}]
          hostnames: [grpc.test]
          rules:
            - matches: [{method: {service: echo.Echo, method: Ping}}, {method: {service: health.Health}}]
              backendRefs: [{name: svc, port: 8080}]
            - matches: [{method: {method: Check}, headers: [{name: x-a, value: "1"}]}]
              backendRefs: [{name: svc, port: 8080}]
            - matches: [{method: {type: RegularExpression, service: "a\\\\..*", method: "[A-Z].*"}}]
              backendRefs: [{name: missing, port: 8080}]
        """
    let objects = try! YAMLDecoder().objects(yaml, file: "routes.yaml")
    let table = RouteCompiler().compile(try! ProxyInput(objects: objects), now: "2026-11-29T00:00:00Z").table
    guard case .matched = table.decide(port: 80, host: "grpc.test", method: "POST", uri: "/echo.Echo/Ping", headers: HTTPHeaders()) else {
        fatalError("the GRPCRoute is not in the table")
    }
    return table
}()

/// One input: a request head as text (`METHOD URI` then `name: value` lines) → the route
/// decision; any method, URI and header bytes, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProxyRouting(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: fuzzInput(data, size), as: UTF8.self)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).makeIterator()
    let requestLine = lines.next() ?? ""
    let parts = requestLine.split(separator: " ", maxSplits: 1)
    let method = parts.first.map(String.init) ?? "GET"
    let uri = parts.count > 1 ? String(parts[1]) : "/"
    var headers = HTTPHeaders()
    var host = "a.test"
    while let line = lines.next() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        let name = String(line[..<colon])
        // NIO's parser hands the proxy only ASCII header names (HTTPHeaders traps on others).
        guard name.utf8.allSatisfy({ $0 < 0x80 }) else { continue }
        let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        if name.lowercased() == "host" { host = value }
        headers.add(name: name, value: value)
    }
    switch table.decide(port: 80, host: host, method: method, uri: uri, headers: headers) {
    case .notFound: break
    case .matched(_, _, let listenerPort, _): precondition(listenerPort == 80, "matched on another port")
    }
    return 0
}

runLibFuzzer { data, size in fuzzProxyRouting(data, size) }
