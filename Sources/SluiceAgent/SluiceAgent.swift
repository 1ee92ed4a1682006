/// Facts about this build of Sluice. The daemon (`sluice run`: scheduling, metrics, health,
/// leader election, graceful shutdown) arrives with issue #9.
public enum SluiceBuild {
    /// The Sluice version, as `sluice version` prints it.
    public static let version = "0.1.0-dev"
}
