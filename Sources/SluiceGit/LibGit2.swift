import CLibGit2

/// libgit2's process-wide state. `git_libgit2_init` runs exactly once, the first time any
/// Git operation touches `LibGit2.ready`.
enum LibGit2 {
    static let ready: Void = {
        git_libgit2_init()
    }()

    /// The linked libgit2 version, for `sluice version`.
    static var version: String {
        _ = ready
        var major: Int32 = 0
        var minor: Int32 = 0
        var revision: Int32 = 0
        git_libgit2_version(&major, &minor, &revision)
        return "\(major).\(minor).\(revision)"
    }
}

/// Public facts about the Git layer.
public enum GitLibrary {
    /// The version of libgit2 this binary is linked with.
    public static var libgit2Version: String { LibGit2.version }
}
