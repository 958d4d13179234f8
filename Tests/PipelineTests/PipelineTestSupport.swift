import Dispatch
import Foundation
import EventModel
import Locking
@testable import Pipeline
import TestSupport

/// A fresh directory under /tmp, removed with everything in it when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/kelpie-pipeline-test-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(created != nil, "mkdtemp failed")
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func segmentPath(_ sequence: UInt64) -> String {
        path + "/" + SegmentFileName.name(sequence: sequence)
    }
}

/// One event of a test batch.
struct TestEvent {
    var timeUnixNanos: Int64
    var sampleRate: Int
    var json: String
}

/// Builds a batch whose body is a JSON array of the events' objects, with `dataRange`s slicing it.
func makeBatch(dataset: String = "ds", keyID: String = "key-1", events: [TestEvent]) -> EventBatch {
    var body: [UInt8] = [UInt8(ascii: "[")]
    var records: [EventRecord] = []
    for (index, event) in events.enumerated() {
        if index > 0 { body.append(UInt8(ascii: ",")) }
        let start = body.count
        body.append(contentsOf: event.json.utf8)
        records.append(EventRecord(timeUnixNanos: event.timeUnixNanos, sampleRate: event.sampleRate, dataRange: start..<body.count))
    }
    body.append(UInt8(ascii: "]"))
    return EventBatch(dataset: dataset, keyID: keyID, body: body, events: records)
}

/// A batch of `count` events tagged `{"batch":tag,"i":n,"pad":"…"}`. Every tag below 1,000,000 and index below
/// 10 encodes to the same size (the filler absorbs the tag's digits; the time always has 9 fraction digits),
/// plus `padding` extra filler bytes per event.
func taggedBatch(_ tag: Int, count: Int = 3, padding: Int = 0, dataset: String = "ds") -> EventBatch {
    let filler = String(repeating: "x", count: padding + 6 - String(tag).count)
    return makeBatch(dataset: dataset, events: (0..<count).map { index in
        TestEvent(
            timeUnixNanos: 1_700_000_000_000_000_001 + Int64(tag) * 100 + Int64(index) * 10,
            sampleRate: 1 + index,
            json: "{\"batch\":\(tag),\"i\":\(index),\"pad\":\"\(filler)\"}"
        )
    })
}

/// Encoded size of a batch, as admission charges it.
func encodedBytes(_ batch: EventBatch) -> Int {
    WALLineEncoder.encode(batch).count
}

/// Every complete line the spool holds, as Strings, oldest first.
func spoolLines(_ directory: String) throws -> [String] {
    var lines: [String] = []
    try SpoolReader(dataDirectory: directory).forEachLine { line in
        lines.append(String(decoding: line, as: UTF8.self))
        return true
    }
    return lines
}

/// Parses one WAL line; nil if it is not a JSON object.
func parseLine(_ line: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
}

/// The `{"batch":…}` tags of the spool's lines, in order.
func spoolBatchTags(_ directory: String) throws -> [Int] {
    try spoolLines(directory).map { line in
        let data = parseLine(line)?["data"] as? [String: Any]
        return data?["batch"] as? Int ?? -1
    }
}

/// Stops the pipeline and waits for its stop completion.
func stopAndWait(_ pipeline: EventPipeline, deadline: Duration = .seconds(10)) {
    let done = DispatchSemaphore(value: 0)
    pipeline.stop(deadline: .now + deadline) { done.signal() }
    done.wait()
}

/// Collects completion results from any thread.
final class CompletionLog: Sendable {
    private let results = Lock<[Int: Result<SubmissionReceipt, PipelineError>]>([:])
    private let extraCalls = Lock(0)

    func completion(_ tag: Int) -> @Sendable (Result<SubmissionReceipt, PipelineError>) -> Void {
        { result in
            let duplicate = self.results.withLock { results in
                if results[tag] != nil { return true }
                results[tag] = result
                return false
            }
            if duplicate { self.extraCalls.withLock { $0 += 1 } }
        }
    }

    var count: Int { results.withLock { $0.count } }
    var duplicateCalls: Int { extraCalls.withLock { $0 } }
    func result(_ tag: Int) -> Result<SubmissionReceipt, PipelineError>? { results.withLock { $0[tag] } }
    var all: [Int: Result<SubmissionReceipt, PipelineError>] { results.withLock { $0 } }

    func waitForCount(_ expected: Int) -> Bool {
        waitUntil { count >= expected }
    }
}

/// Records what the pipeline reports, in order.
final class RecordingObserver: PipelineObserver {
    enum Event: Equatable {
        case appended(events: Int, bytes: Int)
        case synced(requests: Int)
        case writeFailed(PipelineError)
        case refused(String)
        case rotated
        case deleted(count: Int, bytes: Int64)
        case deadlineExpired(unwrittenEvents: Int)
        case sinkDelivered(events: Int)
        case sinkFailed(String)
        case redelivered(events: Int)
        case deadLettered(events: Int, reason: String)
        case dropped(events: Int, reason: String)
        case sinkTimedOut(events: Int)
    }

    private let log = Lock<[Event]>([])
    var events: [Event] { log.withLock { $0 } }

    var syncs: [Int] {
        events.compactMap { if case .synced(let requests) = $0 { return requests } else { return nil } }
    }
    var rotations: Int { events.filter { $0 == .rotated }.count }
    var failures: [PipelineError] {
        events.compactMap { if case .writeFailed(let error) = $0 { return error } else { return nil } }
    }
    var deletions: [(count: Int, bytes: Int64)] {
        events.compactMap { if case .deleted(let count, let bytes) = $0 { return (count, bytes) } else { return nil } }
    }

    func walAppended(events: Int, bytes: Int) { log.withLock { $0.append(.appended(events: events, bytes: bytes)) } }
    func walSynced(duration: Duration, requests: Int) { log.withLock { $0.append(.synced(requests: requests)) } }
    func walWriteFailed(_ error: PipelineError) { log.withLock { $0.append(.writeFailed(error)) } }
    func admissionRefused(reason: String) { log.withLock { $0.append(.refused(reason)) } }
    func segmentRotated() { log.withLock { $0.append(.rotated) } }
    func segmentsDeleted(count: Int, bytes: Int64) { log.withLock { $0.append(.deleted(count: count, bytes: bytes)) } }
    func stopDeadlineExpired(unwrittenEvents: Int) {
        log.withLock { $0.append(.deadlineExpired(unwrittenEvents: unwrittenEvents)) }
    }
    func sinkDelivered(sink: String, events: Int, bytes: Int, latency: Duration) {
        log.withLock { $0.append(.sinkDelivered(events: events)) }
    }
    func sinkFailed(sink: String, reason: String) { log.withLock { $0.append(.sinkFailed(reason)) } }
    func sinkRedelivered(events: Int) { log.withLock { $0.append(.redelivered(events: events)) } }
    func deadLettered(sink: String, events: Int, reason: String) {
        log.withLock { $0.append(.deadLettered(events: events, reason: reason)) }
    }
    func eventsDropped(events: Int, reason: String) { log.withLock { $0.append(.dropped(events: events, reason: reason)) } }
    func sinkTimedOut(events: Int) { log.withLock { $0.append(.sinkTimedOut(events: events)) } }

    /// Sum of the events in every case `pick` selects.
    func total(_ pick: (Event) -> Int?) -> Int { events.compactMap(pick).reduce(0, +) }
    var sinkDeliveredEvents: Int { total { if case .sinkDelivered(let n) = $0 { n } else { nil } } }
    var redeliveredEvents: Int { total { if case .redelivered(let n) = $0 { n } else { nil } } }
    var sinkFailures: Int { total { if case .sinkFailed = $0 { 1 } else { nil } } }
}

/// A clock the test moves by hand (for segment age).
final class ManualClock: Sendable {
    private let start = ContinuousClock.now
    private let offset = Lock(Duration.zero)

    func now() -> ContinuousClock.Instant { start + offset.withLock { $0 } }
    func advance(by duration: Duration) { offset.withLock { $0 += duration } }
}

/// Real POSIX files with test controls: syncs that wait for permits or take a fixed delay, appends, syncs
/// and creates that fail on demand, and a record of how many bytes of each file were synced.
final class ControlledStorage: WALStorage {
    struct Controls {
        /// When set, each sync waits for a permit (granted with `grantSyncs`).
        var gateSyncs = false
        var syncPermits = 0
        var syncDelay: Duration = .zero
        var failingAppends = 0
        /// A failing append first writes this fraction of its bytes (a torn write), then throws ENOSPC.
        var tornFractionOnFailure = 0.5
        var failingSyncs = 0
        var failingTruncates = 0
        var failingCreates = 0
        var syncsStarted = 0
        var syncsFinished = 0
        var syncedSizeByPath: [String: Int64] = [:]
        var closes = 0
    }

    let controls = Lock(Controls())
    private let posix = PosixWALStorage()

    func createFile(atPath path: String) throws(WALIOError) -> any WALFile {
        let fail = controls.withLock { controls -> Bool in
            if controls.failingCreates > 0 { controls.failingCreates -= 1; return true }
            return false
        }
        if fail { throw WALIOError(operation: "open", path: path, errno: EIO) }
        let file = try posix.createFile(atPath: path)
        return ControlledFile(inner: file, storage: self)
    }

    func removeFile(atPath path: String) throws(WALIOError) { try posix.removeFile(atPath: path) }
    func syncDirectory(atPath path: String) throws(WALIOError) { try posix.syncDirectory(atPath: path) }

    func grantSyncs(_ count: Int) { controls.withLock { $0.syncPermits += count } }
    var syncsStarted: Int { controls.withLock { $0.syncsStarted } }
    var syncsFinished: Int { controls.withLock { $0.syncsFinished } }
    var closes: Int { controls.withLock { $0.closes } }
    var syncedSizes: [String: Int64] { controls.withLock { $0.syncedSizeByPath } }
}

final class ControlledFile: WALFile {
    private let inner: any WALFile
    private let storage: ControlledStorage

    init(inner: any WALFile, storage: ControlledStorage) {
        self.inner = inner
        self.storage = storage
    }

    var path: String { inner.path }
    var size: Int64 { inner.size }

    func append(_ chunks: [UnsafeRawBufferPointer]) throws(WALIOError) {
        let (fail, fraction) = storage.controls.withLock { controls -> (Bool, Double) in
            if controls.failingAppends > 0 { controls.failingAppends -= 1; return (true, controls.tornFractionOnFailure) }
            return (false, 0)
        }
        if !fail { return try inner.append(chunks) }
        let total = chunks.reduce(0) { $0 + $1.count }
        var torn = Int(Double(total) * fraction)
        var partial: [UnsafeRawBufferPointer] = []
        for chunk in chunks where torn > 0 {
            let take = min(torn, chunk.count)
            partial.append(UnsafeRawBufferPointer(rebasing: chunk[..<take]))
            torn -= take
        }
        try inner.append(partial)
        throw WALIOError(operation: "writev", path: path, errno: ENOSPC)
    }

    func truncate(toSize newSize: Int64) throws(WALIOError) {
        let fail = storage.controls.withLock { controls -> Bool in
            if controls.failingTruncates > 0 { controls.failingTruncates -= 1; return true }
            return false
        }
        if fail { throw WALIOError(operation: "ftruncate", path: path, errno: EIO) }
        try inner.truncate(toSize: newSize)
    }

    func sync() throws(WALIOError) {
        let delay = storage.controls.withLock { controls -> Duration in
            controls.syncsStarted += 1
            return controls.syncDelay
        }
        while true {
            let mayProceed = storage.controls.withLock { controls -> Bool in
                if !controls.gateSyncs { return true }
                if controls.syncPermits > 0 { controls.syncPermits -= 1; return true }
                return false
            }
            if mayProceed { break }
            usleep(500)
        }
        if delay > .zero { usleep(UInt32(delay.wholeNanoseconds / 1_000)) }
        let fail = storage.controls.withLock { controls -> Bool in
            if controls.failingSyncs > 0 { controls.failingSyncs -= 1; return true }
            return false
        }
        if fail {
            storage.controls.withLock { $0.syncsFinished += 1 }
            throw WALIOError(operation: "fdatasync", path: path, errno: EIO)
        }
        try inner.sync()
        let syncedSize = inner.size
        storage.controls.withLock { controls in
            controls.syncsFinished += 1
            controls.syncedSizeByPath[inner.path] = syncedSize
        }
    }

    func close() {
        inner.close()
        storage.controls.withLock { $0.closes += 1 }
    }
}

/// A pipeline over `ControlledStorage` (and optionally a manual clock), started.
func makePipeline(
    _ directory: TemporaryDirectory,
    ackMode: AckMode = .durable,
    storage: ControlledStorage = ControlledStorage(),
    observer: RecordingObserver = RecordingObserver(),
    clock: ManualClock? = nil,
    sink: (any Sink)? = nil,
    start: Bool = true,
    configure: (inout PipelineConfiguration) -> Void = { _ in }
) throws -> EventPipeline {
    var configuration = PipelineConfiguration(dataDirectory: directory.path, ackMode: ackMode)
    configuration.writerTickInterval = .milliseconds(10)
    configure(&configuration)
    let now: @Sendable () -> ContinuousClock.Instant
    if let clock { now = { clock.now() } } else { now = { ContinuousClock.now } }
    let pipeline = try EventPipeline(
        configuration: configuration, observer: observer, storage: storage, now: now, sink: sink
    )
    if start { pipeline.start() }
    return pipeline
}

extension Optional where Wrapped == Result<SubmissionReceipt, PipelineError> {
    /// The error of a failed completion; nil for success or no completion.
    var failure: PipelineError? {
        if case .some(.failure(let error)) = self { return error }
        return nil
    }

    var succeeded: Bool {
        if case .some(.success) = self { return true }
        return false
    }
}
