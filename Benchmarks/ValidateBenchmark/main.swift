// Benchmark: parse and validate 10,000 HTTPRoutes against the Gateway API HTTPRoute schema,
// in one process. Target (issue #12): under 1 second in a release build.
//
//     swift run -c release ValidateBenchmark [CRD-DIR] [--routes 10000]
//
// The schemas are Sluice's built-in Gateway API CRDs, or those in CRD-DIR when given.
// Measured: YAML parsing, defaulting, structural schema validation and every CEL rule of the
// HTTPRoute schema (CEL cost limits are not computed yet).

import ArgumentParser
import Foundation
import SluiceModel

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ValidateBenchmark")
    @Argument(help: "A directory of CustomResourceDefinitions to validate against (default: the built-in ones).")
    var crdDirectory: String?
    @Option(help: "HTTPRoutes to validate.") var routes = 10_000
}

let options = Options.parseOrExit()
let routeCount = options.routes
var catalog = SchemaCatalog()
if let crdDirectory = options.crdDirectory {
    for file in (try FileManager.default.contentsOfDirectory(atPath: crdDirectory)).sorted() where file.hasSuffix(".yaml") {
        let text = try String(contentsOfFile: crdDirectory + "/" + file, encoding: .utf8)
        for crd in try YAMLDecoder().objects(text, file: file) where crd.kind == "CustomResourceDefinition" {
            catalog.add(crd: crd)
        }
    }
} else {
    for crd in GatewayAPI.customResourceDefinitions { catalog.add(crd: crd) }
}

var stream = ""
for index in 0..<routeCount {
    stream += """
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: route-\(index)
          namespace: team-\(index % 50)
        spec:
          parentRefs:
          - name: edge
            namespace: infra
            sectionName: https
          hostnames:
          - svc-\(index).example.test
          rules:
          - matches:
            - path: {type: PathPrefix, value: /api/\(index)}
              headers:
              - {name: x-canary, value: "true"}
            filters:
            - type: RequestHeaderModifier
              requestHeaderModifier:
                add: [{name: x-route, value: r\(index)}]
            backendRefs:
            - {name: blue-\(index), port: 8080, weight: \(90 - index % 90)}
            - {name: green-\(index), port: 8080, weight: \(10 + index % 90)}

        """
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let (whole, atto) = start.duration(to: .now).components
    return Double(whole) + Double(atto) / 1e18
}

var objects: [Object] = []
var problems = 0
var parse: [Double] = []
var validate: [Double] = []
for _ in 0..<5 {
    parse.append(try seconds { objects = try YAMLDecoder().objects(stream, file: "routes.yaml") })
    validate.append(seconds {
        problems = 0
        problems = catalog.problems(in: objects).reduce(0) { $0 + ($1?.count ?? 1) }
    })
}
precondition(objects.count == routeCount && problems == 0, "expected \(routeCount) valid routes, found \(problems) problems")
let parseBest = parse.min()!
let validateBest = validate.min()!
let total = parseBest + validateBest
print("\(routeCount) HTTPRoutes (\(stream.utf8.count / 1024) KiB of YAML), best of 5, \(ProcessInfo.processInfo.activeProcessorCount) cores:")
print(String(format: "  parse YAML → Objects      %7.1f ms", parseBest * 1000))
print(String(format: "  default + schema + CEL    %7.1f ms", validateBest * 1000))
print(String(format: "  total                     %7.1f ms", total * 1000))
print(String(format: "  ratio to the 1 s target = %.2f (%@)", total / 1.0, total < 1.0 ? "met" : "NOT met"))
