import Foundation
import FuzzSupport
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceModel
import SluiceProxy

/// Raw bytes from a client to the proxy core, through everything a real connection meets: the
/// h2c preface detector, NIO's HTTP/1.1 parser, the header and request-line limits, the smuggling
/// checks, the route table, filters, and the upstream exchange (to a real upstream on loopback).
///
/// One input is written to a new connection, which is then half-closed; the harness reads until
/// the proxy closes it. Invariants: the proxy closes every such connection (no connection is left
/// hanging), and whatever it answers an HTTP/1 client starts with an HTTP/1.x status line.

/// The upstream: answers every request 200 with a short body.
final class UpstreamHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        let body = context.channel.allocator.buffer(string: "ok\n")
        var headers = HTTPHeaders()
        headers.add(name: "content-length", value: "\(body.readableBytes)")
        headers.add(name: "x-upstream", value: "fuzz")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let upstream = try! ServerBootstrap(group: group)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
            try channel.pipeline.syncOperations.addHandler(UpstreamHandler())
        }
    }
    .bind(host: "127.0.0.1", port: 0).wait()
let upstreamPort = upstream.localAddress!.port!

/// A port no one listens on, for the listener (the proxy binds it on install).
func unusedPort() -> Int {
    let probe = try! ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
    let port = probe.localAddress!.port!
    try! probe.close().wait()
    return port
}
let listenerPort = unusedPort()

/// Routes with every filter and match type (CORS included), a weight-0 backend, a backend with no
/// endpoints (500) and a mirror, over two hostnames.
let objectsYAML = """
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
        - {name: http, protocol: HTTP, port: \(listenerPort), allowedRoutes: {namespaces: {from: Same}}}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: up, namespace: ns}
    spec: {ports: [{name: http, port: 8080}]}
    ---
    apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata: {name: up, namespace: ns, labels: {kubernetes.io/service-name: up}}
    addressType: IPv4
    endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]
    ports: [{name: http, port: \(upstreamPort)}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: empty, namespace: ns}
    spec: {ports: [{name: http, port: 8080}]}
    ---
    apiVersion: gateway.networking.k8s.io/v1
    kind: HTTPRoute
    metadata: {name: r, namespace: ns}
    spec:
      parentRefs: [{name: gw}]
      hostnames: [a.test, "*.wild.test"]
      rules:
        - matches: [{path: {type: Exact, value: /exact}}]
          filters:
            - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-set, value: "1"}], add: [{name: x-add, value: "2"}], remove: [x-remove]}}
            - {type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: x-resp, value: "3"}], remove: [x-upstream]}}
          backendRefs: [{name: up, port: 8080, weight: 1}, {name: up, port: 8080, weight: 0}]
        - matches: [{path: {type: PathPrefix, value: /prefix/}, headers: [{name: x-a, value: "1"}], method: POST}]
          filters: [{type: URLRewrite, urlRewrite: {hostname: rewritten.test, path: {type: ReplacePrefixMatch, replacePrefixMatch: /r}}}]
          backendRefs: [{name: up, port: 8080}]
        - matches: [{path: {type: RegularExpression, value: "/re/[a-z]+/[0-9]*"}, queryParams: [{name: q, value: v}]}]
          filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /full}}}]
          backendRefs: [{name: up, port: 8080}]
        - matches: [{headers: [{type: RegularExpression, name: x-re, value: "^a.*z$"}]}]
          filters: [{type: RequestRedirect, requestRedirect: {scheme: https, hostname: elsewhere.test, port: 8443, statusCode: 301}}]
        - matches: [{path: {type: PathPrefix, value: /mirror}}]
          filters: [{type: RequestMirror, requestMirror: {backendRef: {name: up, port: 8080}, percent: 50}}]
          backendRefs: [{name: up, port: 8080}]
        - matches: [{path: {type: PathPrefix, value: /none}}]
          backendRefs: [{name: empty, port: 8080}]
        - matches: [{path: {type: PathPrefix, value: /cors}}]
          filters:
            - {type: CORS, cors: {allowOrigins: ["https://a.test", "http://*.wild.test:8080"], allowMethods: [GET, PUT], allowHeaders: ["*"], exposeHeaders: [x-e], allowCredentials: true, maxAge: 60}}
            - {type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: vary, value: Accept}]}}
          backendRefs: [{name: up, port: 8080}]
        - matches: [{path: {type: PathPrefix, value: /}}]
          timeouts: {request: 2s, backendRequest: 1s}
          backendRefs: [{name: up, port: 8080}, {name: missing, port: 8080}]
    """

let proxy: ProxyServer = {
    let objects = try! YAMLDecoder().objects(objectsYAML, file: "routes.yaml")
    let table = RouteCompiler().compile(try! ProxyInput(objects: objects), now: "2026-11-29T00:00:00Z").table
    var configuration = ProxyConfiguration()
    // Inputs that stop mid-request are answered at this deadline instead of the default 10 s.
    configuration.limits.headerReadTimeout = .milliseconds(500)
    return blocking { [configuration] in
        let server = try await ProxyServer.start(configuration: configuration)
        let failures = try await server.install(table)
        precondition(failures.isEmpty, "the fuzzed proxy cannot listen: \(failures)")
        return server
    }
}()
_ = proxy

/// Writes `bytes` to a new connection to the proxy, half-closes it, and returns everything the
/// proxy sent before closing; nil when the proxy kept the connection open past `deadline`.
func exchange(_ bytes: [UInt8], deadline seconds: Int, attempt: Int = 1) -> [UInt8]? {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    precondition(socket >= 0, "socket: errno \(errno)")
    defer { close(socket) }
    // Closed with a reset, so hundreds of connections a second leave no TIME_WAIT behind (they
    // would use up the ephemeral ports within a minute).
    var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
    setsockopt(socket, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    var timeout = timeval(tv_sec: seconds, tv_usec: 0)
    setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    // Each connection from its own 127/8 source address: connections the proxy closes first sit
    // in TIME_WAIT for a minute, and from one address they would use up its ephemeral ports.
    var source = sockaddr_in()
    source.sin_family = sa_family_t(AF_INET)
    source.sin_addr.s_addr = (UInt32(127) << 24 | UInt32.random(in: 1...0xFF_FFFE)).bigEndian
    let bound = withUnsafePointer(to: &source) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    precondition(bound == 0, "bind a source address: errno \(errno)")
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(listenerPort).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if connected != 0 {
        // Not the proxy's fault when the machine runs out of something (ports, buffers): say so
        // and try again; only a listener that stays unreachable stops the run.
        let error = errno
        FileHandle.standardError.write(Data("connect to the proxy: errno \(error) (\(String(cString: strerror(error)))), attempt \(attempt)\n".utf8))
        precondition(attempt < 50, "the proxy's listener stayed unreachable")
        usleep(20_000)
        return exchange(bytes, deadline: seconds, attempt: attempt + 1)
    }
    var written = 0
    while written < bytes.count {
        let count = bytes[written...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if count <= 0 { break }  // the proxy may close early (a 400 after a bad head): not a failure
        written += count
    }
    shutdown(socket, Int32(SHUT_WR))
    var answer: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16384)
    while true {
        let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        if count > 0 { answer += chunk[..<count]; continue }
        if count == 0 { return answer }
        if errno == EINTR { continue }
        if errno == ECONNRESET { return answer }
        return nil
    }
}

let http2Preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProxyHTTP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let answer = exchange(input, deadline: 5) else {
        preconditionFailure("the proxy kept a half-closed connection open for 5 s")
    }
    let speaksHTTP2 = input.starts(with: http2Preface.prefix(min(input.count, http2Preface.count))) && input.count >= 3
    if !answer.isEmpty, !speaksHTTP2 {
        let statusLine = String(decoding: answer.prefix(12), as: UTF8.self)
        let valid = (statusLine.hasPrefix("HTTP/1.1 ") || statusLine.hasPrefix("HTTP/1.0 "))
            && statusLine.dropFirst(9).prefix(3).allSatisfy(\.isNumber)
        precondition(valid, "not an HTTP/1 answer: \(String(decoding: answer.prefix(80), as: UTF8.self))")
    }
    return 0
}

runLibFuzzer { data, size in fuzzProxyHTTP(data, size) }
