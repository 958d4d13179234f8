import Dispatch
import Foundation
import EventModel
import Locking
import Testing
@testable import Pipeline

/// Throughput of submit → completion on this machine's disk. Prints numbers, asserts nothing about time.
/// Off unless KELPIE_PIPELINE_BENCH is set; meant for a release build:
/// `KELPIE_PIPELINE_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter PipelineBenchmark`
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["KELPIE_PIPELINE_BENCH"] != nil))
struct PipelineBenchmark {
    static let runDuration: Duration = .seconds(5)
    static let eventsPerBatch = 100
    static let eventDataBytes = 480

    /// Records fdatasync latencies and group sizes.
    final class SyncRecorder: PipelineObserver {
        let samples = Lock<(durations: [Duration], requests: Int, syncs: Int, refused: Int)>(([], 0, 0, 0))
        func walSynced(duration: Duration, requests: Int) {
            samples.withLock {
                $0.durations.append(duration)
                $0.requests += requests
                $0.syncs += 1
            }
        }
        func admissionRefused(reason: String) { samples.withLock { $0.refused += 1 } }
    }

    static func batch(_ seed: Int) -> EventBatch {
        let filler = String(repeating: "v", count: eventDataBytes - 60)
        return makeBatch(dataset: "bench", keyID: "bench-key", events: (0..<eventsPerBatch).map { index in
            TestEvent(
                timeUnixNanos: 1_700_000_000_000_000_000 + Int64(seed * 1000 + index) * 1_234,
                sampleRate: 1,
                json: "{\"seed\":\(seed),\"i\":\(index),\"service\":\"api\",\"msg\":\"\(filler)\"}"
            )
        })
    }

    static func percentile(_ sorted: [Duration], _ fraction: Double) -> Duration {
        guard !sorted.isEmpty else { return .zero }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * fraction))]
    }

    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.2f", Double(duration.wholeNanoseconds) / 1e6)
    }

    /// `threads` submitting threads, each keeping up to `window` submissions outstanding, for `runDuration`.
    static func run(ackMode: AckMode, threads: Int, window: Int, batch makeBatch: (Int) -> EventBatch) throws {
        let directory = TemporaryDirectory()
        let recorder = SyncRecorder()
        var configuration = PipelineConfiguration(dataDirectory: directory.path, ackMode: ackMode)
        configuration.retentionMaxBytes = 512 << 20
        let pipeline = try EventPipeline(configuration: configuration, observer: recorder)
        pipeline.start()
        let batches = (0..<threads).map { makeBatch($0) }
        let batchBytes = encodedBytes(batches[0])
        let eventsPerSubmission = batches[0].events.count
        let completed = Lock(0)
        let latencies = Lock<[Duration]>([])
        let done = DispatchSemaphore(value: 0)
        let started = ContinuousClock.now
        let endAt = started + runDuration
        for thread in 0..<threads {
            let batch = batches[thread]
            Thread {
                let slots = DispatchSemaphore(value: window)
                var local: [Duration] = []
                let localLatencies = Lock<[Duration]>([])
                while ContinuousClock.now < endAt {
                    slots.wait()
                    let submittedAt = ContinuousClock.now
                    let result = pipeline.submit(batch) { _ in
                        let latency = ContinuousClock.now - submittedAt
                        localLatencies.withLock { $0.append(latency) }
                        completed.withLock { $0 += 1 }
                        slots.signal()
                    }
                    if result != .accepted {
                        slots.signal()
                        usleep(200)
                    }
                }
                for _ in 0..<window { slots.wait() }
                // libdispatch traps when a semaphore is freed below its initial value.
                for _ in 0..<window { slots.signal() }
                local = localLatencies.withLock { $0 }
                latencies.withLock { $0 += local }
                done.signal()
            }.start()
        }
        for _ in 0..<threads { done.wait() }
        let elapsed = ContinuousClock.now - started
        stopAndWait(pipeline)

        let seconds = Double(elapsed.wholeNanoseconds) / 1e9
        let count = completed.withLock { $0 }
        let samples = recorder.samples.withLock { $0 }
        let syncLatencies = samples.durations.sorted()
        let endToEnd = latencies.withLock { $0 }.sorted()
        let perSync = samples.syncs > 0 ? Double(samples.requests) / Double(samples.syncs) : 0
        print(String(
            format: "bench ack=%@ threads=%d window=%d batch=%dB: %.0f batches/s, %.0f events/s, %.1f MB/s; "
                + "%d fdatasyncs, %.1f submissions/fdatasync, fdatasync p50 %@ ms p99 %@ ms; "
                + "submit→completion p50 %@ ms p99 %@ ms; refusals %d",
            ackMode.rawValue, threads, window, batchBytes,
            Double(count) / seconds, Double(count * eventsPerSubmission) / seconds,
            Double(count * batchBytes) / seconds / 1e6,
            samples.syncs, perSync, milliseconds(percentile(syncLatencies, 0.5)), milliseconds(percentile(syncLatencies, 0.99)),
            milliseconds(percentile(endToEnd, 0.5)), milliseconds(percentile(endToEnd, 0.99)), samples.refused
        ))
    }

    @Test(arguments: [2, 4])
    func durable48KBatches(threads: Int) throws {
        try Self.run(ackMode: .durable, threads: threads, window: 8, batch: Self.batch)
    }

    @Test(arguments: [2, 4])
    func memory48KBatches(threads: Int) throws {
        try Self.run(ackMode: .memory, threads: threads, window: 8, batch: Self.batch)
    }

    /// Encoding alone, one thread: the per-submit CPU cost paid on the I/O lane.
    @Test func encodeThroughput() {
        let batch = Self.batch(1)
        let rounds = 5_000
        var bytes = 0
        let started = ContinuousClock.now
        for _ in 0..<rounds { bytes += WALLineEncoder.encode(batch).count }
        let seconds = Double((ContinuousClock.now - started).wholeNanoseconds) / 1e9
        print(String(
            format: "bench encode: %.1f µs per %d-event batch, %.0f MB/s of lines, one thread",
            seconds / Double(rounds) * 1e6, batch.events.count, Double(bytes) / seconds / 1e6
        ))
    }

    /// 64 submitters, each waiting for its completion before the next submit (like 64 keep-alive clients).
    @Test func sixtyFourSequentialSubmitters() throws {
        try Self.run(ackMode: .durable, threads: 64, window: 1, batch: Self.batch)
        try Self.run(ackMode: .durable, threads: 64, window: 1) { seed in
            makeBatch(dataset: "bench", keyID: "k", events: [
                TestEvent(timeUnixNanos: 1_700_000_000_000_000_000, sampleRate: 1, json: "{\"seed\":\(seed)}"),
            ])
        }
    }
}
