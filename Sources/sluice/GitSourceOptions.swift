import ArgumentParser
import Foundation
import SluiceGit

/// Where a revision comes from: the flags every Git-reading subcommand shares.
struct GitSourceOptions: ParsableArguments {
    @Option(name: .long, help: "Repository: a local path, file://, git://, http(s):// or ssh:// URL.")
    var repo: String

    @Option(name: .long, help: "Branch, tag, commit id, or semver range (e.g. '>=1.2.0 <2.0.0'). Default: the remote's HEAD.")
    var ref: String = "HEAD"

    @Option(name: .long, help: "Sub-directory of the repository to read.")
    var path: String = ""

    @Option(name: .long, help: "Directory holding Sluice's state; the Git cache is <data-dir>/git.")
    var dataDir: String = ".sluice"

    @Option(name: .long, help: "HTTP basic auth user name (password from SLUICE_GIT_PASSWORD).")
    var username: String?

    @Option(name: .long, help: "SSH private key file for ssh:// remotes.")
    var sshKey: String?

    @Option(name: .long, help: "known_hosts file that must list an SSH remote's host key.")
    var knownHosts: String?

    @Option(name: .long, help: "PEM file of CA certificates to trust for an HTTPS remote.")
    var caFile: String?

    @Flag(name: .long, help: "Accept any TLS certificate from the remote (unsafe).")
    var insecureSkipTLSVerify = false

    func remote() throws -> GitRemote {
        let environment = ProcessInfo.processInfo.environment
        var auth = GitAuth.none
        if let sshKey {
            guard let knownHosts else {
                throw ValidationError("--ssh-key needs --known-hosts: unknown host keys are refused")
            }
            let text = try String(contentsOfFile: knownHosts, encoding: .utf8)
            auth = .ssh(.init(privateKeyPath: sshKey, knownHosts: text))
        } else if let username {
            auth = .basic(username: username, password: environment["SLUICE_GIT_PASSWORD"] ?? "")
        } else if let token = environment["SLUICE_GIT_TOKEN"] {
            auth = .bearer(token: token)
        }
        let url = FileManager.default.fileExists(atPath: repo)
            ? URL(fileURLWithPath: repo).standardizedFileURL.path : repo
        return GitRemote(url: url, auth: auth, caFile: caFile, insecureSkipTLSVerify: insecureSkipTLSVerify)
    }

    var cache: GitCache {
        GitCache(directory: URL(fileURLWithPath: dataDir).appendingPathComponent("git"))
    }
}
