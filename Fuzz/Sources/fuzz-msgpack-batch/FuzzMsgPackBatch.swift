import Ingest

/// `/1/batch` msgpack (libhoney-go's encoding): the reader and its transcoding to JSON event data.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMsgPackBatch(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    if let decoded = try? HoneycombDecoder().decodeMsgPackBatch(
        body: body, dataset: "fuzz", keyID: "k", receiveTimeNanos: 1_700_000_000_000_000_000
    ) {
        precondition(decoded.statuses.count >= decoded.batch.events.count)
    }
    return 0
}
