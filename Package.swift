// swift-tools-version:6.1
// Kelpie: a Honeycomb-compatible event-ingest server. Dependencies point one way (docs/architecture.md):
// EventModel (pure Swift: events, times, bytes, JSON strings) ← HTTP1, Ingest, Pipeline, LoadKit; Locking (the
// one lock type) ← every library that shares state between threads;
// C wrappers → DispatchSockets; CNGHTTP2 → HTTP2 (I/O-free); DispatchSockets + HTTP1 + HTTP2 + GRPC → HTTPServer;
// C wrappers → Ingest; HTTPServer + Ingest + Pipeline → KelpieApp → kelpie; LoadKit → kelpie-load.
// Pipeline never sees Ingest.
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

        // MARK: the event model (pure Swift, no C): what decoders produce, the pipeline and sinks consume
        .target(name: "EventModel", swiftSettings: strict),
        // The one lock type (pthread mutex, visible to ThreadSanitizer); see Sources/Locking/Lock.swift.
        .target(name: "Locking", swiftSettings: strict),

        // MARK: transport and protocol
        .target(name: "DispatchSockets", dependencies: ["CSystemShims", "Locking"], swiftSettings: strict),
        .target(name: "HTTP1", dependencies: ["EventModel"], swiftSettings: strict),
        // HTTP/2 framing, I/O-free: nghttp2 driven by bytes in, bytes and stream events out.
        .target(name: "HTTP2", dependencies: ["CNGHTTP2"], swiftSettings: strict),
        // gRPC wire values, pure: message framing, content types, status codes, trailers.
        .target(name: "GRPC", swiftSettings: strict),
        .target(
            name: "HTTPServer",
            dependencies: [
                "DispatchSockets", "HTTP1", "HTTP2", "GRPC", "EventModel", "Locking",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // MARK: domain
        .target(
            name: "Ingest", dependencies: ["EventModel", "Locking", "CZlib", "CZstd", "CCrypto", "CSimdJSON"],
            swiftSettings: strict
        ),
        .target(name: "Pipeline", dependencies: ["EventModel", "Locking"], swiftSettings: strict),

        // MARK: composition root and executables
        .target(
            name: "KelpieApp",
            dependencies: [
                "DispatchSockets", "HTTP1", "HTTP2", "GRPC", "HTTPServer", "EventModel", "Ingest", "Pipeline", "Locking", "CYAML",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "kelpie",
            dependencies: [
                "KelpieApp", "Pipeline", "DispatchSockets", "Ingest", "EventModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "LoadKit",
            dependencies: [
                "EventModel", "Locking", "CSystemShims", "CZlib", "CZstd",
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
        .testTarget(name: "EventModelTests", dependencies: ["EventModel", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "DispatchSocketsTests", dependencies: ["DispatchSockets", "Locking", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "HTTP2Tests", dependencies: ["HTTP2", "CNGHTTP2", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "GRPCTests", dependencies: ["GRPC"], swiftSettings: strict),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "IngestTests", dependencies: ["Ingest", "EventModel", "TestSupport"],
            resources: [.copy("Fixtures")], swiftSettings: strict
        ),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "EventModel", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "KelpieAppTests", dependencies: ["KelpieApp", "TestSupport"],
            resources: [.copy("Fixtures")], swiftSettings: strict
        ),
        .testTarget(name: "LoadKitTests", dependencies: ["LoadKit", "TestSupport"], swiftSettings: strict),
    ],
    cxxLanguageStandard: .cxx17
)
