import Foundation
import SluiceRender
import SluiceTestSupport
import Testing

/// Sluice against the recorded output of `kubectl kustomize`, byte for byte, on every fixture.
@Suite struct FixtureTests {
    @Test func thereAreEnoughFixtures() {
        #expect(Fixture.all.filter { $0.expected != nil }.count >= 60)
        #expect(Fixture.all.filter { $0.expectedError != nil }.count >= 10)
    }

    @Test(arguments: Fixture.all)
    func rendersLikeKubectl(_ fixture: Fixture) throws {
        let compat = Renderer(configuration: .init(gatewayAPIReferences: false))
        let sluice = Renderer()
        for tree in [DiskTree(root: fixture.input.path) as any FileTree, try fixture.snapshot()] {
            if let expectedError = fixture.expectedError {
                #expect(fixture.expected == nil)
                do {
                    let rendering = try sluice.render(tree, path: fixture.path)
                    Issue.record("expected an error containing \(expectedError), got \(rendering.objects.count) object(s)")
                } catch {
                    #expect(error.description.contains(expectedError), "\(error.description)")
                }
                continue
            }
            let expected = try #require(fixture.expected, "no expected.yaml: run regenerate.sh")
            #expect(try compat.render(tree, path: fixture.path).yaml == expected)
            let expectedSluice = try #require(fixture.expectedSluice)
            #expect(try sluice.render(tree, path: fixture.path).yaml == expectedSluice)
        }
    }

    /// The expectations are kubectl's own output, checked again here whenever kubectl is
    /// installed, so they cannot drift from what kubectl prints.
    @Test(arguments: Fixture.all.filter { !$0.sluiceOnly })
    func expectationsMatchLiveKubectl(_ fixture: Fixture) throws {
        guard Kubectl.available else {
            print("notice: kubectl is not on PATH; skipping the live comparison for \(fixture.name)")
            return
        }
        let target = fixture.path.isEmpty ? fixture.input : fixture.input.appendingPathComponent(fixture.path)
        if fixture.expectedError != nil {
            #expect(throws: Shell.Failure.self) { try Shell.run(["kubectl", "kustomize", target.path]) }
            return
        }
        let output = String(decoding: try Shell.run(["kubectl", "kustomize", target.path]), as: UTF8.self)
        #expect(output == fixture.expected)
    }
}

enum Kubectl {
    static let available: Bool = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/kubectl") }
    }()
}
