import Ingest

/// OTLP/HTTP protobuf export requests through the streaming wire reader and the mapper. The first byte
/// picks the signal (traces, logs, metrics, modulo 3).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOTLPProtobuf(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let signal = OTLPSignal.allCases[Int(data[0]) % OTLPSignal.allCases.count]
    let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let context = OTLPRequestContext(keyID: "k", keyKind: .environment, datasetHeader: "fuzz", receiveTimeNanos: 1_700_000_000_000_000_000)
    _ = try? OTLPDecoder().decode(body, signal: signal, encoding: .protobuf, context: context)
    return 0
}
