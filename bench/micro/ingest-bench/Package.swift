// swift-tools-version:6.1
// Standalone Ingest micro-benchmark: builds Ingest and its C wrappers (through symlinks into
// ../../../Sources) without touching the main package. Run: swift run -c release IngestBench [iterations]
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "ingest-bench",
    platforms: [.macOS(.v15)],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib"),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd"),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto"),
        .target(name: "CSimdJSON", path: "Sources/CSimdJSON", linkerSettings: [.linkedLibrary("simdjson")]),
        .target(name: "Ingest", dependencies: ["CZlib", "CZstd", "CCrypto", "CSimdJSON"], swiftSettings: strict),
        .executableTarget(name: "IngestBench", dependencies: ["Ingest", "CZlib", "CZstd"]),
    ],
    cxxLanguageStandard: .cxx17
)
