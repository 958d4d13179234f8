import Ingest

/// `/1/batch` JSON through the simdjson shim, and the same bytes as a `/1/events` single event.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONBatch(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    let decoder = HoneycombDecoder()
    if let decoded = try? decoder.decodeBatch(body: body, dataset: "fuzz", keyID: "k", receiveTimeNanos: 1_700_000_000_000_000_000) {
        precondition(decoded.statuses.count >= decoded.batch.events.count)
    }
    _ = try? decoder.decodeSingle(
        body: body, dataset: "fuzz", keyID: "k", eventTimeHeader: nil, sampleRateHeader: nil,
        receiveTimeNanos: 1_700_000_000_000_000_000
    )
    return 0
}
