// swift-tools-version:6.1
// Kelpie: a Honeycomb-compatible event-ingest server. Dependencies point one way (docs/architecture.md):
// EventModel (pure Swift: events, times, bytes, JSON strings) ← HTTP1, Ingest, Pipeline, LoadKit; Locking (the
// one lock type) ← every library that shares state between threads;
// C wrappers → DispatchSockets; CNGHTTP2 → HTTP2 (I/O-free); DispatchSockets + HTTP1 + HTTP2 + GRPC → HTTPServer;
// C wrappers → Ingest; Pipeline + CCurl → RelaySink; RelaySink + Pipeline + EventModel → SelfTelemetry;
// HTTPServer + Ingest + Pipeline + RelaySink + SelfTelemetry + KafkaSink → KelpieApp → kelpie; LoadKit → kelpie-load.
// Pipeline never sees Ingest.
// KafkaSink → LoadKit too: `kelpie-load verify` reads topics with its KafkaPartitionConsumer and maps
// topic templates with its KafkaTopicName, so both sides agree on names by construction.
// CRdKafka → KafkaSink (the Kafka producer and reader, and Pipeline's sink adapter). CRdKafka needs the pinned
// librdkafka that scripts/bootstrap.sh builds into .build-deps/rdkafka, CCurl the pinned libcurl in .build-deps/curl.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// The static librdkafka and, after it (static link order), what it needs. Its own archive name and an
/// absolute search path, so Debian's librdkafka.so in /usr/lib is never linked instead and a plain
/// `swift build` needs no environment.
let rdkafkaLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(["-L\(Context.packageDirectory)/.build-deps/rdkafka/lib"]),
    .linkedLibrary("kelpie-rdkafka"),
    .linkedLibrary("ssl"), .linkedLibrary("crypto"), .linkedLibrary("zstd"), .linkedLibrary("z"),
    .linkedLibrary("m"), .linkedLibrary("dl"), .linkedLibrary("pthread"), .linkedLibrary("rt"),
]

/// The static HTTP/HTTPS-only libcurl (scripts/bootstrap.sh builds it into .build-deps/curl) and what it
/// needs after it: the system OpenSSL. Same reasons as above for the archive's own name and the path.
let curlLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(["-L\(Context.packageDirectory)/.build-deps/curl/lib"]),
    .linkedLibrary("kelpie-curl"),
    .linkedLibrary("ssl"), .linkedLibrary("crypto"), .linkedLibrary("pthread"),
]

let package = Package(
    name: "kelpie",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kelpie", targets: ["kelpie"]),
        .executable(name: "kelpie-load", targets: ["kelpie-load"]),
        // For the libFuzzer harnesses in Fuzz/ (a separate package that depends on this one by path).
        .library(name: "HTTP1", targets: ["HTTP1"]),
        .library(name: "Ingest", targets: ["Ingest"]),
        .library(name: "KelpieApp", targets: ["KelpieApp"]),
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
        .systemLibrary(name: "CSSL", path: "Sources/CSSL", pkgConfig: "libssl", providers: [.apt(["libssl-dev"])]),
        .target(name: "CSSLShim", dependencies: ["CSSL", "CCrypto"], path: "Sources/CSSLShim"),
        // libcurl built by scripts/bootstrap.sh into .build-deps/curl (static, HTTP/HTTPS only), not Debian's
        // libcurl4 with every protocol: the shim includes its headers by path; RelaySink links its archive.
        .systemLibrary(name: "CCurl", path: "Sources/CCurl"),
        .systemLibrary(name: "CNGHTTP2", path: "Sources/CNGHTTP2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
        // librdkafka 2.8.0 built by scripts/bootstrap.sh into .build-deps/rdkafka (static), not Debian 12's 2.0.2:
        // the shim includes its headers by path; KafkaSink links its archive (see rdkafkaLinkerSettings).
        .systemLibrary(name: "CRdKafka", path: "Sources/CRdKafka"),
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
        .target(name: "DispatchSockets", dependencies: ["CSystemShims", "CSSL", "CSSLShim", "Locking"], swiftSettings: strict),
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
        .target(
            name: "RelaySink",
            dependencies: ["Pipeline", "Locking", "CCurl", "CZstd", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict, linkerSettings: curlLinkerSettings
        ),

        // Self-telemetry: wide events about this process, sent through RelaySink's client (docs/dogfood.md).
        .target(
            name: "SelfTelemetry",
            dependencies: ["EventModel", "Locking", "Pipeline", "RelaySink", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),

        .target(name: "KafkaSink", dependencies: ["CRdKafka", "Locking", "Pipeline"], swiftSettings: strict, linkerSettings: rdkafkaLinkerSettings),

        // MARK: composition root and executables
        .target(
            name: "KelpieApp",
            dependencies: [
                "KafkaSink",
                "DispatchSockets", "HTTP1", "HTTP2", "GRPC", "HTTPServer", "EventModel", "Ingest", "Pipeline", "RelaySink", "SelfTelemetry", "Locking", "CYAML",
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
                "EventModel", "Locking", "CSystemShims", "CZlib", "CZstd", "KafkaSink",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "kelpie-load",
            dependencies: ["LoadKit", "KafkaSink", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),

        // MARK: tests (Swift Testing), one target per library
        // TestSupport holds librdkafka's mock cluster for the Kafka tests of several targets.
        .target(
            name: "TestSupport",
            dependencies: ["CSSL", "CSSLShim", "CNGHTTP2", "CRdKafka", "HTTPServer", "HTTP1", "DispatchSockets", "CZstd", "Locking", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport", swiftSettings: strict, linkerSettings: rdkafkaLinkerSettings
        ),
        .testTarget(name: "EventModelTests", dependencies: ["EventModel", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "DispatchSocketsTests", dependencies: ["DispatchSockets", "Locking", "TestSupport", "CSSL"], swiftSettings: strict),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "HTTP2Tests", dependencies: ["HTTP2", "CNGHTTP2", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "GRPCTests", dependencies: ["GRPC"], swiftSettings: strict),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "IngestTests", dependencies: ["Ingest", "EventModel", "TestSupport"],
            resources: [.copy("Fixtures")], swiftSettings: strict
        ),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "EventModel", "Locking", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "RelaySinkTests",
            dependencies: ["RelaySink", "CCurl", "Pipeline", "Locking", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(name: "SelfTelemetryTests", dependencies: ["SelfTelemetry", "Pipeline", "Locking", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "KelpieAppTests", dependencies: ["KelpieApp", "DispatchSockets", "Ingest", "KafkaSink", "CRdKafka", "Pipeline", "Locking", "TestSupport"],
            resources: [.copy("Fixtures")], swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaSinkTests", dependencies: ["KafkaSink", "CRdKafka", "Locking", "TestSupport"], swiftSettings: strict
        ),
        .testTarget(name: "LoadKitTests", dependencies: ["LoadKit", "KafkaSink", "Locking", "TestSupport"], swiftSettings: strict),
    ],
    cxxLanguageStandard: .cxx17
)
