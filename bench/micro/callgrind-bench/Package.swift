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
        // The same graph as the server's Package.swift for these targets.
        .target(name: "EventModel", path: "Sources/EventModel", swiftSettings: strict),
        .target(name: "Locking", path: "Sources/Locking", swiftSettings: strict),
        .target(
            name: "Ingest", dependencies: ["EventModel", "Locking", "CZlib", "CZstd", "CCrypto", "CSimdJSON"],
            swiftSettings: strict
        ),
        .target(name: "Pipeline", dependencies: ["EventModel", "Locking"], swiftSettings: strict),
        .executableTarget(
            name: "CallgrindBench", dependencies: ["EventModel", "Ingest", "Pipeline", "CCallgrindControl"],
            swiftSettings: strict
        ),
    ],
    cxxLanguageStandard: .cxx17
)
