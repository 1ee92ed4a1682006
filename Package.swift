// swift-tools-version: 6.1
import PackageDescription

/// One set of settings for every target: Swift 6 language mode comes from the tools version;
/// `ExistentialAny` keeps `any` explicit wherever a protocol is used as a type.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        .library(name: "SluiceGit", targets: ["SluiceGit"]),
        .library(name: "SluiceModel", targets: ["SluiceModel"]),
        .library(name: "SluiceRender", targets: ["SluiceRender"]),
        .library(name: "SluiceKube", targets: ["SluiceKube"]),
        .library(name: "SluiceProxy", targets: ["SluiceProxy"]),
        .library(name: "SluiceCanary", targets: ["SluiceCanary"]),
        .library(name: "SluiceAgent", targets: ["SluiceAgent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Tests only: a real gRPC client and server on either side of the proxy's GRPCRoutes.
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
    ],
    targets: [
        // MARK: - System libraries

        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),

        // MARK: - Modules (dependencies point down; see docs/architecture.md)

        .target(
            name: "SluiceModel",
            dependencies: [
                "Yams",
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SluiceGit",
            dependencies: [
                "CLibGit2",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SluiceRender",
            dependencies: [
                "SluiceModel", "SluiceGit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SluiceKube",
            dependencies: [
                "SluiceModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SluiceProxy",
            dependencies: [
                "SluiceModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SluiceSync",
            dependencies: [
                "SluiceModel", "SluiceKube", "SluiceRender",
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SluiceCanary",
            dependencies: [
                "SluiceModel", "SluiceKube", "SluiceSync", "SluiceProxy",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SluiceAgent",
            dependencies: [
                "SluiceModel", "SluiceGit", "SluiceRender", "SluiceKube",
                "SluiceSync", "SluiceProxy", "SluiceCanary",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sluice",
            dependencies: [
                "SluiceAgent", "SluiceCanary", "SluiceGit", "SluiceKube", "SluiceModel", "SluiceRender",
                "SluiceSync", "SluiceProxy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: - Benchmarks (print each figure against its peer, as a ratio)

        .executableTarget(
            name: "GitFetchBenchmark",
            dependencies: ["SluiceGit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/GitFetchBenchmark",
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "ProxyBenchmark",
            dependencies: ["SluiceProxy", "SluiceModel"],
            path: "Benchmarks/ProxyBenchmark",
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "ApplyBenchmark",
            dependencies: ["SluiceKube", "SluiceModel", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/ApplyBenchmark",
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "SyncBenchmark",
            dependencies: ["SluiceSync", "SluiceKube", "SluiceModel", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/SyncBenchmark",
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "RenderBenchmark",
            dependencies: ["SluiceRender", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/RenderBenchmark",
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "ValidateBenchmark",
            dependencies: ["SluiceModel", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/ValidateBenchmark",
            swiftSettings: swiftSettings
        ),

        // MARK: - Tests, one target per module (SluiceTestSupport: subprocesses and temporary
        // directories shared by them; posix_spawn because Foundation's Process deadlocked here)

        .testTarget(
            name: "SluiceModelTests",
            dependencies: ["SluiceModel"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SluiceTestSupport",
            path: "Tests/SluiceTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceAgentTests",
            dependencies: [
                "SluiceAgent", "SluiceModel", "SluiceKube", "SluiceSync", "SluiceProxy", "SluiceCanary", "SluiceGit",
                "SluiceTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceSyncTests",
            dependencies: [
                "SluiceSync", "SluiceModel", "SluiceKube", "SluiceTestSupport",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceCanaryTests",
            dependencies: [
                "SluiceCanary", "SluiceModel", "SluiceKube", "SluiceSync", "SluiceProxy", "SluiceTestSupport",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceRenderTests",
            dependencies: ["SluiceRender", "SluiceModel", "SluiceGit", "SluiceTestSupport"],
            exclude: ["Fixtures", "regenerate.sh"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceKubeTests",
            dependencies: [
                "SluiceKube", "SluiceModel", "SluiceTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceGitTests",
            dependencies: ["SluiceGit", "SluiceTestSupport"],
            resources: [.copy("Support")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceProxyTests",
            dependencies: [
                "SluiceProxy", "SluiceModel", "SluiceTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
