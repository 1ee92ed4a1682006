// swift-tools-version: 6.1
// libFuzzer targets for Sluice's parsers, kept out of the main package: they are built only with
// `-sanitize=fuzzer`, and each one's main hands its input callback to libFuzzer's driver.
// See docs/fuzzing.md.
import PackageDescription

let package = Package(
    name: "SluiceFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "sluice", path: "../.."),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(
            name: "FuzzYAMLValidate",
            dependencies: ["FuzzSupport", .product(name: "SluiceModel", package: "sluice")]
        ),
        .executableTarget(
            name: "FuzzRepositoryLayout",
            dependencies: ["FuzzSupport", .product(name: "SluiceAgent", package: "sluice")]
        ),
        .executableTarget(
            name: "FuzzWebhook",
            dependencies: [
                "FuzzSupport", .product(name: "SluiceAgent", package: "sluice"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "FuzzKustomization",
            dependencies: [
                "FuzzSupport", .product(name: "SluiceRender", package: "sluice"), .product(name: "SluiceGit", package: "sluice"),
            ]
        ),
        .executableTarget(
            name: "FuzzCanarySpec",
            dependencies: ["FuzzSupport", .product(name: "SluiceCanary", package: "sluice"), .product(name: "SluiceModel", package: "sluice")]
        ),
        .executableTarget(
            name: "FuzzProxyRouting",
            dependencies: [
                "FuzzSupport", .product(name: "SluiceProxy", package: "sluice"), .product(name: "SluiceModel", package: "sluice"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "FuzzProxyHTTP",
            dependencies: [
                "FuzzSupport", .product(name: "SluiceProxy", package: "sluice"), .product(name: "SluiceModel", package: "sluice"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "FuzzEmbeddedAPI",
            dependencies: ["FuzzSupport", .product(name: "SluiceKube", package: "sluice")]
        ),
        .executableTarget(
            name: "FuzzRollout",
            dependencies: ["FuzzSupport", .product(name: "SluiceCanary", package: "sluice")]
        ),
    ]
)
