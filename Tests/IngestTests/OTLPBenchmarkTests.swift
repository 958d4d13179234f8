import Ingest
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Decoder-only throughput for 512-span OTLP protobuf trace requests. Opt-in and untimed as a test:
/// `KELPIE_OTLP_BENCH=1 swift test -c release --filter OTLPBenchmark` prints spans/s; it asserts
/// only that every span was decoded.
@Suite struct OTLPBenchmarkTests {
    @Test(.enabled(if: getenv("KELPIE_OTLP_BENCH") != nil))
    func decodeSpeedForSDKSizedTraceRequests() throws {
        let body = OTLPBenchmarkRequest.traces()
        let decoder = OTLPDecoder()
        let context = OTLPRequestContext(
            keyID: "bench", keyKind: .environment, datasetHeader: nil, receiveTimeNanos: 1_700_000_100_000_000_000)
        let requests = 2_000
        var spans = 0
        var eventBytes = 0
        let started = ContinuousClock.now
        for _ in 0..<requests {
            let result = try decoder.decode(body, signal: .traces, encoding: .protobuf, context: context)
            spans += result.acceptedItems
            eventBytes += result.batches[0].body.count
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        #expect(spans == requests * OTLPBenchmarkRequest.defaultSpanCount)
        print("OTLP protobuf decode: \(body.count) B/request, \(requests) requests, \(Int(Double(spans) / seconds)) spans/s, "
            + "\(Int(Double(eventBytes) / seconds / 1_048_576)) MiB/s of event JSON (one core)")
    }
}
