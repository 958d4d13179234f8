// swift-tools-version:6.1
// Standalone socket-layer benchmark: builds DispatchSockets (through symlinks into ../../Sources) with
// a fixed-reply responder, without touching the main package. See run.sh.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "socket-bench",
    targets: [
        .target(name: "CSystemShims", path: "Sources/CSystemShims"),
        .target(name: "DispatchSockets", dependencies: ["CSystemShims"], swiftSettings: strict),
        .executableTarget(name: "SocketBench", dependencies: ["DispatchSockets"], swiftSettings: strict),
    ]
)
