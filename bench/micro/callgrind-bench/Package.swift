// swift-tools-version:6.1
// Standalone in-process ingest benchmark for callgrind: builds Ingest, Pipeline and their C wrappers (through
// symlinks into ../../../Sources) without touching the main package, and runs the server's own decode →
// reply → WAL path on a fixed workload. See Sources/CallgrindBench/main.swift and bench/run.sh.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "callgrind-bench",
    platforms: [.macOS(.v15)],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib"),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd"),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto"),
        .target(name: "CSimdJSON", path: "Sources/CSimdJSON", linkerSettings: [.linkedLibrary("simdjson")]),
        .target(name: "CCallgrindControl", path: "Sources/CCallgrindControl"),
        .target(name: "Ingest", dependencies: ["CZlib", "CZstd", "CCrypto", "CSimdJSON"], swiftSettings: strict),
        // The server's Pipeline target also lists swift-log, but no Pipeline file imports it.
        .target(name: "Pipeline", dependencies: ["Ingest"], swiftSettings: strict),
        .executableTarget(
            name: "CallgrindBench", dependencies: ["Ingest", "Pipeline", "CCallgrindControl"], swiftSettings: strict
        ),
    ],
    cxxLanguageStandard: .cxx17
)
