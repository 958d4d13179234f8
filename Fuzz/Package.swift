// swift-tools-version:6.1
// libFuzzer harnesses for Kelpie's input parsers. A package of its own, so the normal `swift build` of the
// main package never sees them: `make fuzz` builds it with `--sanitize=fuzzer --sanitize=address` into
// .build-fuzz and runs each target for FUZZ_SECONDS (scripts/fuzz.sh). The harnesses call the decoders'
// entry points; internal ones are reached with `@testable import` (debug builds are testable).
import PackageDescription

// Each harness is one file defining `LLVMFuzzerTestOneInput`; libFuzzer supplies `main`.
let harnessSettings: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let harnesses: [(name: String, dependencies: [Target.Dependency])] = [
    ("fuzz-http1-parser", [.product(name: "HTTP1", package: "kelpie")]),
    ("fuzz-http1-parser-split", [.product(name: "HTTP1", package: "kelpie")]),
    ("fuzz-chunked-body", [.product(name: "HTTP1", package: "kelpie")]),
    ("fuzz-content-decoding", [.product(name: "Ingest", package: "kelpie")]),
    ("fuzz-json-batch", [.product(name: "Ingest", package: "kelpie")]),
    ("fuzz-msgpack-batch", [.product(name: "Ingest", package: "kelpie")]),
    ("fuzz-otlp-protobuf", [.product(name: "Ingest", package: "kelpie")]),
    ("fuzz-otlp-json", [.product(name: "Ingest", package: "kelpie")]),
    ("fuzz-key-file", [.product(name: "KelpieApp", package: "kelpie")]),
]

let package = Package(
    name: "kelpie-fuzz",
    dependencies: [.package(name: "kelpie", path: "..")],
    targets: harnesses.map { harness in
        .executableTarget(
            name: harness.name, dependencies: harness.dependencies, path: "Sources/\(harness.name)",
            swiftSettings: harnessSettings
        )
    }
)
