// swift-tools-version:6.1
// Kelpie: a Honeycomb-compatible event-ingest server. Dependencies point one way:
// C wrappers → DispatchSockets / HTTP1 / HTTP2 / GRPC → HTTPServer → Ingest → Pipeline → KelpieApp → kelpie.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "kelpie",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kelpie", targets: ["kelpie"]),
        .executable(name: "kelpie-load", targets: ["kelpie-load"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // MARK: C wrappers (Debian libraries, wrapped once)
        .target(name: "CSystemShims", path: "Sources/CSystemShims"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CYAML", path: "Sources/CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CNGHTTP2", path: "Sources/CNGHTTP2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
        .target(
            name: "CSimdJSON",
            path: "Sources/CSimdJSON",
            linkerSettings: [.linkedLibrary("simdjson")]
        ),

        // MARK: transport and protocol
        .target(name: "DispatchSockets", dependencies: ["CSystemShims"], swiftSettings: strict),
        .target(name: "HTTP1", swiftSettings: strict),
        // HTTP/2 framing, I/O-free: nghttp2 driven by bytes in, bytes and stream events out.
        .target(name: "HTTP2", dependencies: ["CNGHTTP2"], swiftSettings: strict),
        // gRPC wire values, pure: message framing, status codes, trailers, google.rpc.Status details.
        .target(name: "GRPC", swiftSettings: strict),
        .target(
            name: "HTTPServer",
            dependencies: ["DispatchSockets", "HTTP1", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),

        // MARK: domain
        .target(name: "Ingest", dependencies: ["CZlib", "CZstd", "CCrypto", "CSimdJSON"], swiftSettings: strict),
        .target(
            name: "Pipeline",
            dependencies: ["Ingest", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),

        // MARK: composition root and executables
        .target(
            name: "KelpieApp",
            dependencies: [
                "HTTPServer", "Ingest", "Pipeline", "CYAML",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "kelpie",
            dependencies: [
                "KelpieApp", "Pipeline", "DispatchSockets", "Ingest",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "LoadKit",
            dependencies: [
                "Ingest", "CSystemShims", "CZlib", "CZstd",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "kelpie-load",
            dependencies: ["LoadKit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),

        // MARK: tests (Swift Testing), one target per library
        .target(name: "TestSupport", dependencies: ["CNGHTTP2"], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "DispatchSocketsTests", dependencies: ["DispatchSockets", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "HTTP2Tests", dependencies: ["HTTP2", "CNGHTTP2", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "GRPCTests", dependencies: ["GRPC"], swiftSettings: strict),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "IngestTests", dependencies: ["Ingest", "TestSupport"],
            resources: [.copy("Fixtures")], swiftSettings: strict
        ),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Ingest", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "KelpieAppTests", dependencies: ["KelpieApp", "TestSupport"],
            resources: [.copy("Fixtures")], swiftSettings: strict
        ),
        .testTarget(name: "LoadKitTests", dependencies: ["LoadKit", "TestSupport"], swiftSettings: strict),
    ],
    cxxLanguageStandard: .cxx17
)
