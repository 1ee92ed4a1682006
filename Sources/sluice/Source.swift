import ArgumentParser
import Foundation
import SluiceGit

extension Sluice {
    /// Fetches a repository into the cache and lists the snapshot Sluice would render:
    /// the first stage of every sync, on its own, for checking access and refs.
    struct Source: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch a Git source and list the files of the resolved revision.")

        @OptionGroup var source: GitSourceOptions

        @Flag(name: .long, help: "Print each file's contents after the listing.")
        var contents = false

        func run() async throws {
            let remote = try source.remote()
            let reference = try GitReference(parsing: source.ref)
            let checkout: GitCache.Checkout
            do {
                checkout = try source.cache.checkout(remote, reference: reference, path: source.path)
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            let commit = checkout.revision.commit
            let fetch = checkout.fetch
            print("revision: \(checkout.revision.displayName)")
            print("commit:   \(commit.id) \(commit.subject)")
            print("author:   \(commit.authorName) <\(commit.authorEmail)> \(commit.time)")
            print(
                "fetched:  \(fetch.statistics.receivedObjects) objects, \(fetch.statistics.receivedBytes) bytes"
                    + " in \(String(format: "%.3f", fetch.seconds)) s\(fetch.cloned ? " (new clone)" : "")")
            print("files:    \(checkout.snapshot.entries.count) under '\(checkout.snapshot.path)/'")
            for path in checkout.snapshot.paths {
                let entry = checkout.snapshot.entries[path]!
                switch entry {
                case .file(let data, _): print("  \(entry.mode) \(String(format: "%8d", data.count)) \(path)")
                case .symlink(let target): print("  \(entry.mode)          \(path) -> \(target)")
                case .submodule(let id): print("  \(entry.mode)          \(path) @ \(id)")
                }
            }
            if contents {
                for path in checkout.snapshot.paths {
                    guard let data = checkout.snapshot.file(path) else { continue }
                    print("--- \(path)")
                    print(String(decoding: data, as: UTF8.self), terminator: "")
                }
            }
        }
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
