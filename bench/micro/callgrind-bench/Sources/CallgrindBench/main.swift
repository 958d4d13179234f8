// In-process ingest workload for an instruction count that does not drift with machine noise.
//
// Runs the server's own per-request path, minus sockets and HTTP, on one request body read from a file
// (`kelpie-load body` writes exactly the body `make bench` sends), N times:
//   ContentDecoder.decode (identity / gzip / zstd, as the route does)
//   → HoneycombDecoder.decodeBatch (JSON) / decodeMsgPackBatch (msgpack) / OTLPDecoder.decode (OTLP traces)
//   → the reply body (BatchResponseEncoder.json / .msgpack, OTLPResponseEncoder.success)
//   → EventPipeline.submit with --ack=memory (WAL line encoding on the submitting thread), and the WAL
//     writer thread's writev into a segment in a fresh temp directory, up to `stop` (which flushes and
//     fdatasyncs).
// Excluded: sockets, the HTTP parser and response encoder, routing, API-key lookup, metrics.
//
// Under `valgrind --tool=callgrind --instr-atstart=no` only the measured window is counted: a warm-up of
// the same requests through a separate pipeline runs first (lazy initialisation out of the way), then
// the measured pipeline is started, and CALLGRIND_START/STOP_INSTRUMENTATION bracket the N requests and
// the pipeline's stop. Instructions of every thread are counted. `--no-pipeline` stops after the reply body.
//
// Usage: CallgrindBench json|msgpack|otlp BODY_FILE [--encoding identity|gzip|zstd] [--requests N]
//        [--warmup N] [--no-pipeline]
// Prints one JSON line: the workload, events accepted, bytes, and (outside Valgrind) CPU per event.
import CCallgrindControl
import Dispatch
import EventModel
import Glibc
import Ingest
import Pipeline
import Synchronization

enum Format: String { case json, msgpack, otlp }

struct Options {
    var format: Format
    var bodyPath: String
    var encoding: ContentEncoding = .identity
    var encodingName = "identity"
    var requests = 100
    var warmupRequests = 10
    var pipeline = true
}

func fail(_ message: String) -> Never {
    let line = Array("CallgrindBench: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    exit(2)
}

func parseOptions() -> Options {
    var arguments = Array(CommandLine.arguments.dropFirst())
    guard arguments.count >= 2, let format = Format(rawValue: arguments[0]) else {
        fail("usage: CallgrindBench json|msgpack|otlp BODY_FILE [--encoding identity|gzip|zstd] [--requests N] [--warmup N] [--no-pipeline]")
    }
    var options = Options(format: format, bodyPath: arguments[1])
    arguments.removeFirst(2)
    while let flag = arguments.first {
        arguments.removeFirst()
        func value() -> String {
            guard let next = arguments.first else { fail("\(flag) needs a value") }
            arguments.removeFirst()
            return next
        }
        switch flag {
        case "--encoding":
            options.encodingName = value()
            guard let encoding = ContentEncoding(headerValue: options.encodingName == "identity" ? nil : options.encodingName) else {
                fail("unknown encoding \(options.encodingName)")
            }
            options.encoding = encoding
        case "--requests":
            guard let count = Int(value()), count > 0 else { fail("--requests needs a positive number") }
            options.requests = count
        case "--warmup":
            guard let count = Int(value()), count >= 0 else { fail("--warmup needs a number") }
            options.warmupRequests = count
        case "--no-pipeline": options.pipeline = false
        default: fail("unknown option \(flag)")
        }
    }
    return options
}

func readFile(_ path: String) -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { fail("cannot open \(path)") }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count >= 0 else { fail("cannot read \(path)") }
        if count == 0 { return bytes }
        bytes.append(contentsOf: chunk[0..<count])
    }
}

func nowUnixNanos() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
}

func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func makeTemporaryDirectory() -> String {
    var template = Array("/tmp/kelpie-callgrind-bench.XXXXXX".utf8CString)
    guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else { fail("mkdtemp failed") }
    return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

/// The directory holds only the pipeline's flat files (segments, wal.lock).
func removeDirectory(_ path: String) {
    guard let directory = opendir(path) else { return }
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        if name != "." && name != ".." { unlink(path + "/" + name) }
    }
    closedir(directory)
    rmdir(path)
}

/// What one request produced: accepted events and the reply body's size (kept so nothing is optimised away).
struct RequestOutcome {
    var acceptedEvents = 0
    var replyBytes = 0
    var decodedBytes = 0
}

/// One request through the route's steps. With a pipeline, the batches are submitted (ack=memory: the
/// completion runs inside `submit`, where the server would send the reply).
func handle(_ wire: [UInt8], options: Options, pipeline: EventPipeline?) -> RequestOutcome {
    let honeycomb = HoneycombDecoder()
    let otlp = OTLPDecoder()
    let dataset = "kelpie-load", keyID = "0123456789abcdef"
    let body: [UInt8]
    do {
        body = try ContentDecoder.decode(wire, encoding: options.encoding, maxDecodedBytes: 20 << 20)
    } catch {
        fail("content decoding failed: \(error)")
    }
    var outcome = RequestOutcome(decodedBytes: body.count)
    let batches: [EventBatch]
    let reply: @Sendable () -> [UInt8]
    do {
        switch options.format {
        case .json, .msgpack:
            let decoded = options.format == .msgpack
                ? try honeycomb.decodeMsgPackBatch(body: body, dataset: dataset, keyID: keyID, receiveTimeNanos: nowUnixNanos())
                : try honeycomb.decodeBatch(body: body, dataset: dataset, keyID: keyID, receiveTimeNanos: nowUnixNanos())
            let statuses = decoded.statuses, msgpack = options.format == .msgpack
            batches = [decoded.batch]
            reply = { msgpack ? BatchResponseEncoder.msgpack(statuses) : BatchResponseEncoder.json(statuses) }
        case .otlp:
            let context = OTLPRequestContext(
                keyID: keyID, keyKind: .classic, datasetHeader: dataset, receiveTimeNanos: nowUnixNanos()
            )
            let result = try otlp.decode(body, signal: .traces, encoding: .protobuf, context: context)
            batches = result.batches.filter { !$0.events.isEmpty }
            reply = {
                OTLPResponseEncoder.success(
                    signal: .traces, encoding: .protobuf, rejected: result.rejectedItems, message: result.rejectionMessage
                )
            }
        }
    } catch {
        fail("decoding failed: \(error)")
    }
    outcome.acceptedEvents = batches.reduce(0) { $0 + $1.events.count }
    guard let pipeline else {
        outcome.replyBytes = reply().count
        return outcome
    }
    let replyBytes = Atomic<Int>(-1)
    while true {
        let admission = pipeline.submit(batches) { result in
            if case .success = result { replyBytes.store(reply().count, ordering: .relaxed) }
        }
        if admission == .accepted { break }
        // A client would get 503 and retry; long native runs (thousands of requests) can outrun the writer.
        guard case .queueFull = admission else { fail("pipeline refused a request: \(admission)") }
        usleep(1_000)
    }
    // ack=memory completes inside submit; anything else would be a changed contract.
    outcome.replyBytes = replyBytes.load(ordering: .relaxed)
    guard outcome.replyBytes >= 0 else { fail("ack=memory submission did not complete synchronously") }
    return outcome
}

func startPipeline(directory: String) -> EventPipeline {
    var configuration = PipelineConfiguration(dataDirectory: directory)
    configuration.ackMode = .memory
    do {
        let pipeline = try EventPipeline(configuration: configuration)
        pipeline.start()
        return pipeline
    } catch {
        fail("cannot open the pipeline in \(directory): \(error)")
    }
}

func stopPipeline(_ pipeline: EventPipeline) {
    let stopped = DispatchSemaphore(value: 0)
    pipeline.stop(deadline: ContinuousClock.now.advanced(by: .seconds(120))) { stopped.signal() }
    stopped.wait()
}

let options = parseOptions()
let wire = readFile(options.bodyPath)

// Warm-up, through its own pipeline and directory so none of its writes fall into the measured window.
let warmupDirectory = makeTemporaryDirectory()
let warmupPipeline = options.pipeline ? startPipeline(directory: warmupDirectory) : nil
var warmupEvents = 0
for _ in 0..<options.warmupRequests {
    warmupEvents += handle(wire, options: options, pipeline: warmupPipeline).acceptedEvents
}
if let warmupPipeline { stopPipeline(warmupPipeline) }
removeDirectory(warmupDirectory)

let directory = makeTemporaryDirectory()
let pipeline = options.pipeline ? startPipeline(directory: directory) : nil
var total = RequestOutcome()
let cpuStart = processCPUSeconds()
kelpie_bench_callgrind_start()
for _ in 0..<options.requests {
    let outcome = handle(wire, options: options, pipeline: pipeline)
    total.acceptedEvents += outcome.acceptedEvents
    total.replyBytes += outcome.replyBytes
    total.decodedBytes += outcome.decodedBytes
}
if let pipeline { stopPipeline(pipeline) }
kelpie_bench_callgrind_stop()
let cpuSeconds = processCPUSeconds() - cpuStart
let walBytes = pipeline?.walBytes ?? 0
removeDirectory(directory)

let onValgrind = kelpie_bench_running_on_valgrind() == 1
print(
    "{\"format\":\"\(options.format.rawValue)\",\"encoding\":\"\(options.encodingName)\",\"pipeline\":\(options.pipeline),"
        + "\"requests\":\(options.requests),\"warmup_requests\":\(options.warmupRequests),"
        + "\"events\":\(total.acceptedEvents),\"wire_bytes_per_request\":\(wire.count),"
        + "\"decoded_bytes_per_request\":\(total.decodedBytes / max(1, options.requests)),"
        + "\"reply_bytes\":\(total.replyBytes),\"wal_bytes\":\(walBytes),"
        + "\"wal_bytes_per_event\":\(Double(walBytes) / Double(max(1, total.acceptedEvents))),"
        + "\"client_requests\":\(kelpie_bench_has_client_requests() == 1),\"on_valgrind\":\(onValgrind),"
        + "\"cpu_seconds\":\(cpuSeconds),\"cpu_ns_per_event\":\(cpuSeconds * 1e9 / Double(max(1, total.acceptedEvents)))}"
)
