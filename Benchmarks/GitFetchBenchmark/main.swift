// Benchmark: fetch a new commit and produce its Snapshot, Sluice (libgit2) against the git CLI
// (`git fetch` + `git archive`), on a repository of 10,000 files and 1,000 commits served by
// `git daemon` on 127.0.0.1. Prints each round, the medians, and the ratio.
//
//     swift run -c release GitFetchBenchmark [--files 10000] [--commits 1000] [--rounds 15]

import ArgumentParser
import Foundation
import SluiceGit

struct Options: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "GitFetchBenchmark")
    @Option(help: "Files in the repository's HEAD.") var files = 10_000
    @Option(help: "Commits in its history.") var commits = 1_000
    @Option(help: "Timed rounds of each fetch.") var rounds = 15
}

@discardableResult
func run(_ arguments: [String], in directory: URL? = nil, stdin: URL? = nil, stdout: URL? = nil) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["GIT_CONFIG_NOSYSTEM"] = "1"
    environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
    process.environment = environment
    if let directory { process.currentDirectoryURL = directory }
    if let stdin { process.standardInput = try! FileHandle(forReadingFrom: stdin) }
    let pipe = Pipe()
    if let stdout {
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        process.standardOutput = try! FileHandle(forWritingTo: stdout)
    } else {
        process.standardOutput = pipe
    }
    try! process.run()
    let output = stdout == nil ? pipe.fileHandleForReading.readDataToEndOfFile() : Data()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        fatalError("\(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
    }
    return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let (whole, atto) = start.duration(to: .now).components
    return Double(whole) + Double(atto) / 1e18
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2]
        : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func ms(_ value: Double) -> String { String(format: "%8.1f ms", value * 1000) }

/// A fast-import stream: one commit adding `files` YAML files, then commits that each change
/// ten of them, as a GitOps repository's history of route edits looks.
func fastImportStream(files: Int, commits: Int, startingAt firstCommit: Int, parent: String?) -> Data {
    var stream = ""
    var time = 1_700_000_000 + firstCommit * 60
    for commit in firstCommit..<(firstCommit + commits) {
        stream += "commit refs/heads/main\n"
        stream += "committer Bench <bench@sluice.invalid> \(time) +0000\n"
        let message = "change \(commit)\n"
        stream += "data \(message.utf8.count)\n\(message)"
        if commit == firstCommit, let parent { stream += "from \(parent)\n" }
        let changed = commit == 0 ? Array(0..<files) : (0..<10).map { (commit * 7919 + $0 * 104_729) % files }
        for file in changed {
            let content = """
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata:
                  name: route-\(file)
                  namespace: team-\(file / 100)
                spec:
                  parentRefs: [{name: edge, namespace: infra}]
                  hostnames: ["svc-\(file).example.test"]
                  rules:
                  - backendRefs:
                    - {name: blue-\(file), port: 8080, weight: \(100 - commit % 100)}
                    - {name: green-\(file), port: 8080, weight: \(commit % 100)}

                """
            stream += "M 100644 inline routes/team-\(file / 100)/route-\(file).yaml\n"
            stream += "data \(content.utf8.count)\n\(content)\n"
        }
        time += 60
    }
    return Data(stream.utf8)
}

let options = Options.parseOrExit()
let work = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-git-bench-\(getpid())")
try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: work) }
let served = work.appendingPathComponent("served/repo.git")
try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)

print("Building a repository of \(options.files) files and \(options.commits) commits...")
run(["git", "init", "-q", "--bare", "-b", "main", served.path])
let streamFile = work.appendingPathComponent("import.stream")
try fastImportStream(files: options.files, commits: options.commits, startingAt: 0, parent: nil).write(to: streamFile)
run(["git", "--git-dir", served.path, "fast-import", "--quiet"], stdin: streamFile)
run(["git", "--git-dir", served.path, "repack", "-adq"])
print("  files in HEAD: \(run(["git", "--git-dir", served.path, "ls-tree", "-r", "--name-only", "main"]).split(separator: "\n").count), commits: \(run(["git", "--git-dir", served.path, "rev-list", "--count", "main"]))")

// git daemon on a free loopback port.
let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
var address = sockaddr_in()
address.sin_family = sa_family_t(AF_INET)
address.sin_addr.s_addr = inet_addr("127.0.0.1")
var length = socklen_t(MemoryLayout<sockaddr_in>.size)
_ = withUnsafeMutablePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, length) + getsockname(probe, $0, &length) }
}
let port = Int(UInt16(bigEndian: address.sin_port))
close(probe)
let daemon = Process()
daemon.executableURL = URL(fileURLWithPath: "/usr/lib/git-core/git-daemon")
daemon.arguments = ["--reuseaddr", "--export-all", "--listen=127.0.0.1", "--port=\(port)",
                    "--base-path=\(served.deletingLastPathComponent().path)", served.deletingLastPathComponent().path]
try daemon.run()
defer { kill(daemon.processIdentifier, SIGKILL) }
usleep(500_000)
let url = "git://127.0.0.1:\(port)/repo.git"

// Both sides start from a full clone of the same history.
let cache = GitCache(directory: work.appendingPathComponent("sluice-cache"))
let remote = GitRemote(url: url)
let mirror = work.appendingPathComponent("git-cli-mirror.git")
let sluiceClone = try seconds { _ = try cache.checkout(remote, reference: .branch("main")) }
let gitClone = seconds {
    run(["git", "clone", "-q", "--bare", url, mirror.path])
    run(["git", "--git-dir", mirror.path, "archive", "main"], stdout: work.appendingPathComponent("archive.tar"))
}
print("Initial clone + snapshot: sluice \(ms(sluiceClone)), git clone + archive \(ms(gitClone))")

print("Rounds: push one commit (10 files changed), then fetch it and read its full tree")
var sluiceTimes: [Double] = []
var gitTimes: [Double] = []
var parent = run(["git", "--git-dir", served.path, "rev-parse", "main"])
for round in 0..<options.rounds {
    try fastImportStream(files: options.files, commits: 1, startingAt: options.commits + round, parent: parent)
        .write(to: streamFile)
    run(["git", "--git-dir", served.path, "fast-import", "--quiet", "--force"], stdin: streamFile)
    parent = run(["git", "--git-dir", served.path, "rev-parse", "main"])

    var snapshot: Snapshot?
    let sluiceRun = {
        sluiceTimes.append(try seconds {
            let checkout = try cache.checkout(remote, reference: .branch("main"))
            precondition(checkout.revision.commit.id == parent, "sluice resolved the wrong commit")
            snapshot = checkout.snapshot
        })
    }
    let gitRun = {
        gitTimes.append(seconds {
            run(["git", "--git-dir", mirror.path, "fetch", "-q", "origin", "+refs/heads/*:refs/heads/*"])
            run(["git", "--git-dir", mirror.path, "archive", parent], stdout: work.appendingPathComponent("archive.tar"))
        })
    }
    // Alternate who goes first, so neither always gets the warmer page cache.
    if round % 2 == 0 { try sluiceRun(); gitRun() } else { gitRun(); try sluiceRun() }
    precondition(snapshot?.entries.count == options.files, "snapshot has \(snapshot?.entries.count ?? 0) files")
    print("  round \(String(format: "%2d", round + 1)): sluice \(ms(sluiceTimes.last!))   git fetch + archive \(ms(gitTimes.last!))")
}

let sluiceMedian = median(sluiceTimes)
let gitMedian = median(gitTimes)
print("")
print("fetch new commit + snapshot of \(options.files) files, median of \(options.rounds) rounds:")
print("  sluice (libgit2)        \(ms(sluiceMedian))")
print("  git fetch + git archive \(ms(gitMedian))")
print(String(format: "  ratio sluice / git CLI = %.2f (target: <= 1.00, %@)", sluiceMedian / gitMedian,
             sluiceMedian <= gitMedian ? "met" : "NOT met"))
