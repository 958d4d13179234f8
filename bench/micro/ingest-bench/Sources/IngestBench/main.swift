// Ingest micro-benchmark: HoneycombDecoder.decodeBatch on a 100-event (~50 KB) JSON batch, plain and
// after gzip / zstd decoding; then decodeMsgPackBatch on the same 100 events as libhoney-go writes them in
// msgpack, against decodeBatch on the same events as libhoney-go's JSON. Prints MB/s (of decoded JSON)
// and events/s. Not a test; run in release:
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

// MARK: msgpack vs JSON, same events, libhoney-go shapes

/// One field value of a benchmark event.
enum BenchValue {
    case string(String), int(Int), double(Double), bool(Bool), null, list([BenchValue]), object([(String, BenchValue)])
}

/// The same ~20 fields as makeBatch, as values.
func benchEvent(_ index: Int) -> (data: [(String, BenchValue)], sampleRate: Int, nanos: Int64) {
    let status = [200, 200, 200, 404, 500][index % 5]
    let data: [(String, BenchValue)] = [
        ("service.name", .string("checkout")), ("name", .string("GET /items/\(index)")),
        ("trace.trace_id", .string("5b8aa5a2d2c872e8321cf37308d69df\(index % 10)")),
        ("trace.span_id", .string("051581bf3cb55c1\(index % 10)")),
        ("http.method", .string("GET")), ("http.status_code", .int(status)),
        ("http.route", .string("/api/v1/items/{id}")), ("duration_ms", .double(Double(index % 97) * 1.37 + 0.25)),
        ("db.rows", .int(index * 13 % 1000)), ("cache.hit", .bool(index % 3 == 0)), ("user.id", .string("user-\(index % 250)")),
        ("region", .string("eu-west-1")), ("host.name", .string("web-\(index % 8)")),
        ("error", status >= 500 ? .string("upstream timeout") : .null), ("retry", .int(index % 4)),
        ("meta.version", .string("1.42.0")), ("tags", .list([.string("web"), .string("prod")])),
        ("request", .object([("bytes", .int(512 + index)), ("gzip", .bool(true))])),
    ]
    return (data, index % 10 == 0 ? 10 : 1, 1_715_949_296_100_000_000 + Int64(index) * 1_234)
}

func appendJSON(_ value: BenchValue, to text: inout String) {
    switch value {
    case .string(let string): text += "\"" + string + "\""
    case .int(let number): text += String(number)
    case .double(let number): text += String(number)
    case .bool(let flag): text += flag ? "true" : "false"
    case .null: text += "null"
    case .list(let items):
        text += "["
        for (offset, item) in items.enumerated() {
            if offset > 0 { text += "," }
            appendJSON(item, to: &text)
        }
        text += "]"
    case .object(let fields):
        text += "{"
        for (offset, field) in fields.enumerated() {
            if offset > 0 { text += "," }
            text += "\"" + field.0 + "\":"
            appendJSON(field.1, to: &text)
        }
        text += "}"
    }
}

func appendBigEndian(_ value: UInt64, _ count: Int, to bytes: inout [UInt8]) {
    for index in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64((count - 1 - index) * 8))) }
}

func appendMsgPackString(_ string: String, to bytes: inout [UInt8]) {
    let utf8 = Array(string.utf8)
    if utf8.count < 32 { bytes.append(0xA0 | UInt8(utf8.count)) } else { bytes += [0xD9, UInt8(utf8.count)] }
    bytes += utf8
}

/// vmihailenco/msgpack's choices for Go values: int → smallest form, float64 → 0xcb, map16 from 16 keys.
func appendMsgPack(_ value: BenchValue, to bytes: inout [UInt8]) {
    switch value {
    case .string(let string): appendMsgPackString(string, to: &bytes)
    case .int(let number):
        if number < 128 { bytes.append(UInt8(number)) } else { bytes.append(0xCD); appendBigEndian(UInt64(number), 2, to: &bytes) }
    case .double(let number): bytes.append(0xCB); appendBigEndian(number.bitPattern, 8, to: &bytes)
    case .bool(let flag): bytes.append(flag ? 0xC3 : 0xC2)
    case .null: bytes.append(0xC0)
    case .list(let items):
        bytes.append(0x90 | UInt8(items.count))
        for item in items { appendMsgPack(item, to: &bytes) }
    case .object(let fields):
        if fields.count < 16 { bytes.append(0x80 | UInt8(fields.count)) } else { bytes.append(0xDE); appendBigEndian(UInt64(fields.count), 2, to: &bytes) }
        for field in fields {
            appendMsgPackString(field.0, to: &bytes)
            appendMsgPack(field.1, to: &bytes)
        }
    }
}

/// libhoney-go's JSON: {"data":{…},"samplerate":N (omitted when 1),"time":"RFC3339Nano"}; nil fields dropped.
func libhoneyJSONBatch(events: Int) -> [UInt8] {
    var text = "["
    for index in 0..<events {
        let event = benchEvent(index)
        if index > 0 { text += "," }
        text += "{\"data\":"
        appendJSON(.object(event.data.filter { if case .null = $0.1 { false } else { true } }), to: &text)
        if event.sampleRate != 1 { text += ",\"samplerate\":\(event.sampleRate)" }
        text += ",\"time\":\"2024-05-17T12:34:56.\(event.nanos % 1_000_000_000)Z\"}"
    }
    return Array((text + "]").utf8)
}

/// libhoney-go's msgpack: fixmap {data, samplerate (omitted when 1), time as timestamp64 ext −1}; nil kept.
func libhoneyMsgPackBatch(events: Int) -> [UInt8] {
    var bytes: [UInt8] = [0xDC]
    appendBigEndian(UInt64(events), 2, to: &bytes)
    for index in 0..<events {
        let event = benchEvent(index)
        bytes.append(event.sampleRate != 1 ? 0x83 : 0x82)
        appendMsgPackString("data", to: &bytes)
        appendMsgPack(.object(event.data), to: &bytes)
        if event.sampleRate != 1 {
            appendMsgPackString("samplerate", to: &bytes)
            bytes.append(UInt8(event.sampleRate))
        }
        appendMsgPackString("time", to: &bytes)
        let seconds = UInt64(event.nanos / 1_000_000_000), nanos = UInt64(event.nanos % 1_000_000_000)
        bytes += [0xD7, 0xFF]
        appendBigEndian(nanos << 34 | seconds, 8, to: &bytes)
    }
    return bytes
}

let sameJSON = libhoneyJSONBatch(events: eventsPerBatch)
let sameMsgPack = libhoneyMsgPackBatch(events: eventsPerBatch)
let check = try decoder.decodeMsgPackBatch(body: sameMsgPack, dataset: "bench", keyID: "k", receiveTimeNanos: receiveTime)
precondition(check.batch.events.count == eventsPerBatch, "msgpack batch must decode fully")
print("\nsame \(eventsPerBatch) events: JSON \(sameJSON.count) bytes, msgpack \(sameMsgPack.count) bytes "
    + "(stored JSON from msgpack \(check.batch.dataByteCount) bytes)")
let paddedJSON = try ContentDecoder.decode(sameJSON, encoding: .identity, maxDecodedBytes: 1 << 30)
try run("libhoney-go JSON: decodeBatch", wireBytes: sameJSON.count) {
    try decoder.decodeBatch(body: paddedJSON, dataset: "bench", keyID: "k", receiveTimeNanos: receiveTime)
}
try run("libhoney-go msgpack: decodeMsgPackBatch", wireBytes: sameMsgPack.count) {
    try decoder.decodeMsgPackBatch(body: sameMsgPack, dataset: "bench", keyID: "k", receiveTimeNanos: receiveTime)
}
let jsonZstd = zstd(sameJSON, level: 2)
try run("libhoney-go JSON: zstd -2 decode + decodeBatch", wireBytes: jsonZstd.count) {
    let body = try ContentDecoder.decode(jsonZstd, encoding: .zstd, maxDecodedBytes: 20 << 20)
    return try decoder.decodeBatch(body: body, dataset: "bench", keyID: "k", receiveTimeNanos: receiveTime)
}
let msgpackZstd = zstd(sameMsgPack, level: 2)
try run("libhoney-go msgpack: zstd -2 decode + decodeMsgPackBatch", wireBytes: msgpackZstd.count) {
    let body = try ContentDecoder.decode(msgpackZstd, encoding: .zstd, maxDecodedBytes: 20 << 20)
    return try decoder.decodeMsgPackBatch(body: body, dataset: "bench", keyID: "k", receiveTimeNanos: receiveTime)
}
