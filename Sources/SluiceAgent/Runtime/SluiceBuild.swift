/// Facts about this build of Sluice.
public enum SluiceBuild {
    /// The Sluice version, as `sluice version` prints it.
    public static let version = "0.1.0-dev"
}
