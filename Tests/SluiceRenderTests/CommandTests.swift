import Foundation
import SluiceTestSupport
import Testing

/// `sluice render` and `sluice validate` as a user runs them: the real executable, real git.
@Suite struct CommandTests {
    static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sluice = package.appendingPathComponent(".build/debug/sluice").path

    func fixture(_ name: String) -> Fixture { Fixture(name: name) }

    @Test func rendersADirectory() throws {
        let fixture = fixture("gateway-prefix-routes")
        let output = String(decoding: try Shell.run([Self.sluice, "render", fixture.input.path]), as: UTF8.self)
        #expect(output == fixture.expectedSluice)
        let compat = String(decoding: try Shell.run([Self.sluice, "render", "--kustomize-compat", fixture.input.path]), as: UTF8.self)
        #expect(compat == fixture.expected)
    }

    @Test func errorsExitOneOnStderr() throws {
        let fixture = fixture("error-unknown-field")
        do {
            try Shell.run([Self.sluice, "render", fixture.input.path])
            Issue.record("sluice render succeeded on an invalid kustomization")
        } catch let failure as Shell.Failure {
            #expect(failure.status == 1)
            #expect(failure.stderr.contains("kustomization.yaml:3: invalid Kustomization: json: unknown field \"namePrefx\""))
        }
    }

    @Test func usageErrorsExitTwo() throws {
        do {
            try Shell.run([Self.sluice, "render"])
            Issue.record("sluice render without a directory succeeded")
        } catch let failure as Shell.Failure {
            #expect(failure.status == 2)
        }
    }

    @Test func rendersAGitRevision() throws {
        let repository = try TemporaryDirectory("sluice-render-git")
        let fixture = fixture("generator-in-base-renamed-by-overlay")
        let work = repository.path("work")
        try FileManager.default.copyItem(at: fixture.input, to: work)
        try Shell.run(["git", "init", "-q", "-b", "main"], in: work)
        try Shell.run(["git", "add", "-A"], in: work)
        try Shell.run(["git", "commit", "-q", "-m", "routes"], in: work)
        try Shell.run(["git", "tag", "v1"], in: work)
        // A later commit must not change what v1 renders.
        try "resources: []\n".write(to: work.appendingPathComponent("overlay/kustomization.yaml"), atomically: true, encoding: .utf8)
        try Shell.run(["git", "commit", "-q", "-am", "empty"], in: work)
        let output = String(decoding: try Shell.run([
            Self.sluice, "render", "--repo", work.path, "--ref", "v1", "--path", "overlay",
            "--data-dir", repository.path("data").path,
        ]), as: UTF8.self)
        #expect(output == fixture.expected)
    }

    @Test func validateRendersAKustomizationAndNamesTheSourceLine() throws {
        let directory = try TemporaryDirectory("sluice-validate-kustomization")
        let base = directory.path("base")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        try "namePrefix: prod-\nresources:\n- route.yaml\n".write(to: base.appendingPathComponent("kustomization.yaml"), atomically: true, encoding: .utf8)
        try """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              name: shop
            spec:
              parentRefs:
              - name: public
              rules:
              - backendRefs:
                - name: web
                  port: 80
                  weight: -5

            """.write(to: base.appendingPathComponent("route.yaml"), atomically: true, encoding: .utf8)
        let outcome = try Shell.outcome([Self.sluice, "validate", base.path])
        #expect(outcome.status == 1)
        // The object was renamed by the overlay; the line is still the one in route.yaml.
        #expect(outcome.output.contains("base/route.yaml:12: HTTPRoute prod-shop"), "\(outcome.output)")
        #expect(outcome.output.contains("weight"))
    }
}
