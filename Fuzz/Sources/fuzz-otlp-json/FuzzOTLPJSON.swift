import Ingest

/// OTLP/JSON export requests: the JSON → protobuf transcoder, then the same mapper as protobuf. The
/// first byte picks the signal (traces, logs, metrics, modulo 3).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOTLPJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let signal = OTLPSignal.allCases[Int(data[0]) % OTLPSignal.allCases.count]
    let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let context = OTLPRequestContext(keyID: "k", keyKind: .environment, datasetHeader: "fuzz", receiveTimeNanos: 1_700_000_000_000_000_000)
    _ = try? OTLPDecoder().decode(body, signal: signal, encoding: .json, context: context)
    return 0
}
