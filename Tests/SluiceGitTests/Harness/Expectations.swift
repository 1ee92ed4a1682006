import Foundation
import SluiceTestSupport
import SluiceGit
import Testing

/// Checks a snapshot against what the git CLI says of the same commit: every entry's mode,
/// every file's bytes (`git show`), every symlink's target, and the commit id (`git rev-parse`).
func expectSnapshot(
    _ checkout: GitCache.Checkout, matches repository: TestRepository, revision: String, path: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let expectedID = try repository.git("rev-parse", "\(revision)^{commit}")
    #expect(checkout.revision.commit.id == expectedID, sourceLocation: sourceLocation)
    let expectedTree = try repository.listTree(expectedID, path: path)
    #expect(Set(checkout.snapshot.entries.keys) == Set(expectedTree.keys), sourceLocation: sourceLocation)
    for (entryPath, mode) in expectedTree {
        guard let entry = checkout.snapshot.entries[entryPath] else { continue }
        #expect(entry.mode == mode, "mode of \(entryPath)", sourceLocation: sourceLocation)
        let fullPath = path.isEmpty ? entryPath : "\(path)/\(entryPath)"
        switch entry {
        case .file(let data, _):
            #expect(data == (try repository.show(expectedID, fullPath)), "bytes of \(entryPath)", sourceLocation: sourceLocation)
        case .symlink(let target):
            #expect(Data(target.utf8) == (try repository.show(expectedID, fullPath)), "target of \(entryPath)", sourceLocation: sourceLocation)
        case .submodule:
            break
        }
    }
}

/// Runs `body`, expecting a `GitError` with `reason`; returns it for further checks.
@discardableResult
func expectGitError(
    _ reason: GitError.Reason, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> GitError? {
    do {
        try body()
        Issue.record("expected GitError(\(reason)), but it succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let error as GitError {
        #expect(error.reason == reason, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected GitError(\(reason)), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
