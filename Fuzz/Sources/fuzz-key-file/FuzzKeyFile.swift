@testable import KelpieApp

/// The key file (`--keys`): JSON or YAML through libyaml, then the entry rules.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKeyFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    _ = try? APIKeyFile.parse(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
