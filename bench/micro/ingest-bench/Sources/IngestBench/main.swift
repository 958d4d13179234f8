// Ingest micro-benchmark: HoneycombDecoder.decodeBatch on a 100-event (~50 KB) JSON batch, plain and
// after gzip / zstd decoding. Prints MB/s (of decoded JSON) and events/s. Not a test; run in release:
//   cd bench/micro/ingest-bench && swift run -c release IngestBench [iterations]
// (a standalone package: Sources/ holds symlinks to the repository's Ingest and C wrapper targets).
import CZlib
import CZstd
import Glibc
import Ingest

func seconds(_ clock: clockid_t) -> Double {
    var time = timespec()
    clock_gettime(clock, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// ~480-byte events with a realistic mix of ~20 fields (strings, ints, floats, bools, null, a nested object).
func makeBatch(events: Int) -> [UInt8] {
    var text = "["
    for index in 0..<events {
        if index > 0 { text += "," }
        let status = [200, 200, 200, 404, 500][index % 5]
        text += #"{"data":{"service.name":"checkout","name":"GET /items/\#(index)","#
        text += #""trace.trace_id":"5b8aa5a2d2c872e8321cf37308d69df\#(index % 10)","trace.span_id":"051581bf3cb55c1\#(index % 10)","#
        text += #""http.method":"GET","http.status_code":\#(status),"#
        text += #""http.route":"/api/v1/items/{id}","duration_ms":\#(Double(index % 97) * 1.37 + 0.25),"#
        text += #""db.rows":\#(index * 13 % 1000),"cache.hit":\#(index % 3 == 0),"user.id":"user-\#(index % 250)","#
        text += #""region":"eu-west-1","host.name":"web-\#(index % 8)","#
        text += #""error":\#(status >= 500 ? "\"upstream timeout\"" : "null"),"retry":\#(index % 4),"#
        text += #""meta.version":"1.42.0","tags":["web","prod"],"request":{"bytes":\#(512 + index),"gzip":true}},"#
        text += #""time":"2024-05-17T12:34:56.\#(100_000_000 + index * 1_234)Z","samplerate":\#(index % 10 == 0 ? 10 : 1)}"#
    }
    return Array((text + "]").utf8)
}

func gzip(_ input: [UInt8], level: Int32) -> [UInt8] {
    var stream = z_stream()
    precondition(deflateInit2_(&stream, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                               Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    defer { deflateEnd(&stream) }
    var source = input
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))))
    let written = source.withUnsafeMutableBufferPointer { input in
        output.withUnsafeMutableBufferPointer { out -> Int in
            stream.next_in = input.baseAddress
            stream.avail_in = uInt(input.count)
            stream.next_out = out.baseAddress
            stream.avail_out = uInt(out.count)
            precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
            return out.count - Int(stream.avail_out)
        }
    }
    return Array(output[0..<written])
}

func zstd(_ input: [UInt8], level: Int32) -> [UInt8] {
    var output = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
    let size = input.withUnsafeBytes { source in
        output.withUnsafeMutableBytes { out in ZSTD_compress(out.baseAddress, out.count, source.baseAddress, source.count, level) }
    }
    precondition(ZSTD_isError(size) == 0)
    return Array(output[0..<size])
}

let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 20_000 : 20_000
let eventsPerBatch = 100
let batch = makeBatch(events: eventsPerBatch)
let decoder = HoneycombDecoder()
let receiveTime: Int64 = 1_716_000_000 * 1_000_000_000

func run(_ label: String, wireBytes: Int, _ body: () throws -> DecodedRequest) rethrows {
    var accepted = 0
    for _ in 0..<max(iterations / 10, 1) { accepted &+= try body().batch.events.count }  // warm-up
    let wallStart = seconds(CLOCK_MONOTONIC)
    let cpuStart = seconds(CLOCK_THREAD_CPUTIME_ID)
    for _ in 0..<iterations { accepted &+= try body().batch.events.count }
    // CPU time of this thread: what the work costs, even when other processes share the cores.
    let cpu = seconds(CLOCK_THREAD_CPUTIME_ID) - cpuStart
    let wall = seconds(CLOCK_MONOTONIC) - wallStart
    let megabytes = Double(batch.count * iterations) / 1e6
    let line = "\(label): wire \(wireBytes) B, \(Int(megabytes / cpu)) MB/s of JSON per CPU-second, "
        + "\(Int(Double(eventsPerBatch * iterations) / cpu)) events/s, "
        + "\(Int(cpu / Double(iterations) * 1e6)) µs CPU per batch (wall \(Int(wall / Double(iterations) * 1e6)) µs)"
    print(line, accepted == 0 ? "(none accepted!)" : "")
}

print("batch: \(batch.count) bytes, \(eventsPerBatch) events, \(batch.count / eventsPerBatch) bytes/event, \(iterations) iterations")
let padded = try ContentDecoder.decode(batch, encoding: .identity, maxDecodedBytes: 1 << 30)
try run("decodeBatch (padded body, no copy)", wireBytes: batch.count) {
    try decoder.decodeBatch(body: padded, dataset: "bench", keyID: "k", receiveTimeNanos: receiveTime)
}
try run("identity decode + decodeBatch", wireBytes: batch.count) {
    let body = try ContentDecoder.decode(batch, encoding: .identity, maxDecodedBytes: 20 << 20)
    return try decoder.decodeBatch(body: body, dataset: "bench", keyID: "k", receiveTimeNanos: receiveTime)
}
for level: Int32 in [1, 6] {
    let compressed = gzip(batch, level: level)
    try run("gzip -\(level) decode + decodeBatch", wireBytes: compressed.count) {
        let body = try ContentDecoder.decode(compressed, encoding: .gzip, maxDecodedBytes: 20 << 20)
        return try decoder.decodeBatch(body: body, dataset: "bench", keyID: "k", receiveTimeNanos: receiveTime)
    }
}
for level: Int32 in [2, 3] {
    let compressed = zstd(batch, level: level)
    try run("zstd -\(level) decode + decodeBatch", wireBytes: compressed.count) {
        let body = try ContentDecoder.decode(compressed, encoding: .zstd, maxDecodedBytes: 20 << 20)
        return try decoder.decodeBatch(body: body, dataset: "bench", keyID: "k", receiveTimeNanos: receiveTime)
    }
}
