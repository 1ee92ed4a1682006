// swift-tools-version: 6.1
// libFuzzer targets for Sluice's parsers, kept out of the main package: they are built only with
// `-sanitize=fuzzer`, and each one's main hands its input callback to libFuzzer's driver.
// See docs/fuzzing.md.
import PackageDescription

let package = Package(
    name: "SluiceFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "sluice", path: "../..")],
    targets: [
        .executableTarget(
            name: "FuzzYAMLValidate",
            dependencies: [.product(name: "SluiceModel", package: "sluice")]
        ),
    ]
)
