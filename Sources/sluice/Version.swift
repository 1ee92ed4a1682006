import ArgumentParser
import SluiceAgent
import SluiceGit

extension Sluice {
    struct Version: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the version of Sluice and its libraries.")

        func run() {
            print("sluice \(SluiceBuild.version)")
            print("libgit2 \(GitLibrary.libgit2Version)")
        }
    }
}
