@testable import Ingest

/// The OTLP/JSON → protobuf transcoder on its own (the first byte picks traces, logs or metrics); what it
/// accepts must be wire bytes the protobuf mapper reads, as `OTLPDecoder.decode(_:encoding: .json)` does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOTLPJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let signal = OTLPSignal.allCases[Int(data[0]) % OTLPSignal.allCases.count]
    let json = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    guard let wire = try? OTLPJSONTranscoder(maxNestingDepth: OTLPLimits.defaultMaxNestingDepth).transcode(json, signal: signal) else {
        return 0
    }
    _ = try? OTLPDecoder().decode(
        wire, signal: signal, encoding: .protobuf,
        context: OTLPRequestContext(keyID: "k", keyKind: .classic, datasetHeader: "fuzz", receiveTimeNanos: 0)
    )
    return 0
}
