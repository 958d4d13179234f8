import Dispatch
import Foundation
import EventModel
import Locking
import Testing
@testable import Pipeline
import TestSupport

@Suite struct EventPipelineTests {
    @Test func roundTripPreservesFieldsBytesAndPerSubmitterOrder() throws {
        let directory = TemporaryDirectory()
        let pipeline = try makePipeline(directory)
        let log = CompletionLog()
        let submitters = 4
        let batchesPerSubmitter = 25
        DispatchQueue.concurrentPerform(iterations: submitters) { submitter in
            for sequence in 0..<batchesPerSubmitter {
                let tag = submitter * 1000 + sequence
                let batch = makeBatch(dataset: "ds-\(submitter)", keyID: "key-\(submitter)", events: (0..<3).map { index in
                    TestEvent(
                        timeUnixNanos: 1_700_000_000_000_000_000 + Int64(tag) * 1_000 + Int64(index),
                        sampleRate: index + 1,
                        json: #"{"batch":\#(tag),"i":\#(index),"nested":{"f":1.50,"s":"é\n"}}"#
                    )
                })
                #expect(pipeline.submit(batch, completion: log.completion(tag)) == .accepted)
            }
        }
        #expect(log.waitForCount(submitters * batchesPerSubmitter))
        stopAndWait(pipeline)
        #expect(log.all.values.allSatisfy { (try? $0.get()) != nil })
        #expect(log.duplicateCalls == 0)

        let lines = try spoolLines(directory.path)
        #expect(lines.count == submitters * batchesPerSubmitter * 3)
        var lastTagBySubmitter: [Int: Int] = [:]
        for line in lines {
            let object = try #require(parseLine(line), "line is JSON: \(line)")
            let data = try #require(object["data"] as? [String: Any])
            let tag = try #require(data["batch"] as? Int)
            let index = try #require(data["i"] as? Int)
            let submitter = tag / 1000
            #expect(object["dataset"] as? String == "ds-\(submitter)")
            #expect(object["key_id"] as? String == "key-\(submitter)")
            #expect(object["samplerate"] as? Int == index + 1)
            #expect(object["time"] as? String == rfc3339Nano(1_700_000_000_000_000_000 + Int64(tag) * 1_000 + Int64(index)))
            // The data bytes are the input's, verbatim (number formatting and escapes untouched).
            #expect(line.hasSuffix(#","data":{"batch":\#(tag),"i":\#(index),"nested":{"f":1.50,"s":"é\n"}}}"#))
            if let last = lastTagBySubmitter[submitter] { #expect(tag >= last, "order within submitter \(submitter)") }
            lastTagBySubmitter[submitter] = tag
        }
        #expect(pipeline.walBytes == (try segmentBytesOnDisk(directory.path)))
    }

    @Test func durableCompletionComesAfterAnFdatasyncThatCoveredIt() throws {
        let directory = TemporaryDirectory()
        let storage = ControlledStorage()
        let observer = RecordingObserver()
        let pipeline = try makePipeline(directory, storage: storage, observer: observer)
        // What the storage had synced, per file, when each completion ran.
        let syncedAtCompletion = Lock<[Int: [String: Int64]]>([:])
        let submissions = 80
        DispatchQueue.concurrentPerform(iterations: 8) { submitter in
            for sequence in 0..<(submissions / 8) {
                let tag = submitter * 100 + sequence
                let result = pipeline.submit(taggedBatch(tag)) { result in
                    #expect((try? result.get()) != nil)
                    let synced = storage.syncedSizes
                    syncedAtCompletion.withLock { $0[tag] = synced }
                }
                #expect(result == .accepted)
            }
        }
        #expect(waitUntil { syncedAtCompletion.withLock { $0.count } == submissions })
        stopAndWait(pipeline)

        // Where each batch's last line ends, per segment file.
        var lineEnds: [Int: (path: String, end: Int64)] = [:]
        for path in try SpoolReader(dataDirectory: directory.path).segments() {
            let contents = try #require(FileManager.default.contents(atPath: path))
            var offset: Int64 = 0
            for line in contents.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast() {
                offset += Int64(line.count + 1)
                let data = parseLine(String(decoding: line, as: UTF8.self))?["data"] as? [String: Any]
                if let tag = data?["batch"] as? Int { lineEnds[tag] = (path, offset) }
            }
        }
        let snapshots = syncedAtCompletion.withLock { $0 }
        #expect(lineEnds.count == submissions)
        for (tag, location) in lineEnds {
            let synced = snapshots[tag]?[location.path] ?? 0
            #expect(synced >= location.end, "batch \(tag) completed before its bytes were fdatasync'd")
        }
        #expect(observer.syncs.reduce(0, +) == submissions, "every submission was covered by exactly one sync")
    }

    @Test func groupCommitCoversEverythingThatArrivedDuringAnFdatasync() throws {
        let directory = TemporaryDirectory()
        let storage = ControlledStorage()
        storage.controls.withLock { $0.gateSyncs = true }
        let observer = RecordingObserver()
        let pipeline = try makePipeline(directory, storage: storage, observer: observer)
        let log = CompletionLog()
        #expect(pipeline.submit(taggedBatch(0), completion: log.completion(0)) == .accepted)
        #expect(waitUntil { storage.syncsStarted == 1 }, "the writer is inside the first fdatasync")
        let later = 31
        DispatchQueue.concurrentPerform(iterations: later) { index in
            #expect(pipeline.submit(taggedBatch(index + 1), completion: log.completion(index + 1)) == .accepted)
        }
        #expect(log.count == 0, "nothing completes before its fdatasync")
        storage.grantSyncs(1)
        #expect(log.waitForCount(1))
        #expect(log.result(0) != nil)
        #expect(waitUntil { storage.syncsStarted == 2 })
        #expect(log.count == 1)
        storage.grantSyncs(1)
        #expect(log.waitForCount(later + 1))
        #expect(observer.syncs == [1, later], "one fdatasync for the first, one for all that waited")
        stopAndWait(pipeline)
        #expect(try spoolLines(directory.path).count == (later + 1) * 3)
    }

    @Test func concurrentSubmittersShareFdatasyncs() throws {
        let directory = TemporaryDirectory()
        let storage = ControlledStorage()
        // A slow disk: while one fdatasync runs, the other submitters' batches pile up.
        storage.controls.withLock { $0.syncDelay = .milliseconds(5) }
        let observer = RecordingObserver()
        let pipeline = try makePipeline(directory, storage: storage, observer: observer)
        let submitters = 16
        let perSubmitter = 10
        let finished = CompletionLog()
        for submitter in 0..<submitters {
            Thread {
                for sequence in 0..<perSubmitter {
                    let done = DispatchSemaphore(value: 0)
                    _ = pipeline.submit(taggedBatch(submitter * 100 + sequence)) { _ in done.signal() }
                    done.wait()
                }
                finished.completion(submitter)(.success(.stored))
            }.start()
        }
        #expect(finished.waitForCount(submitters))
        stopAndWait(pipeline)
        let syncs = observer.syncs
        #expect(syncs.reduce(0, +) == submitters * perSubmitter)
        #expect(syncs.count < submitters * perSubmitter, "group commit: \(syncs.count) syncs")
    }

    @Test func memoryAckCompletesInsideSubmitAndDataIsOnDiskAfterStop() throws {
        let directory = TemporaryDirectory()
        let storage = ControlledStorage()
        // Even with every fdatasync held, ack=memory answers at once.
        storage.controls.withLock { $0.gateSyncs = true }
        let pipeline = try makePipeline(directory, ackMode: .memory, storage: storage) { $0.memoryModeSyncInterval = .seconds(3600) }
        for tag in 0..<20 {
            let completed = Lock(false)
            let result = pipeline.submit(taggedBatch(tag)) { result in
                #expect((try? result.get()) != nil)
                completed.withLock { $0 = true }
            }
            #expect(result == .accepted)
            #expect(completed.withLock { $0 }, "completion ran inside submit")
        }
        storage.grantSyncs(100)
        stopAndWait(pipeline)
        #expect(storage.syncsFinished >= 1, "stop fdatasyncs in memory mode")
        #expect(try spoolBatchTags(directory.path) == (0..<20).flatMap { Array(repeating: $0, count: 3) })
    }

    @Test func memoryModeSyncsPeriodically() throws {
        let directory = TemporaryDirectory()
        let storage = ControlledStorage()
        let observer = RecordingObserver()
        let pipeline = try makePipeline(directory, ackMode: .memory, storage: storage, observer: observer) {
            $0.memoryModeSyncInterval = .milliseconds(20)
        }
        #expect(pipeline.submit(taggedBatch(1)) { _ in } == .accepted)
        #expect(waitUntil { storage.syncsFinished >= 1 }, "a tick fdatasyncs without stop or rotation")
        // The observer hears of the sync just after the file returns from it.
        #expect(waitUntil { !observer.syncs.isEmpty })
        #expect(observer.syncs.first == 1)
        stopAndWait(pipeline)
    }

    @Test func queueFullRefusesAtOnceAndWritesNothingOfTheRefused() throws {
        let directory = TemporaryDirectory()
        let storage = ControlledStorage()
        storage.controls.withLock { $0.gateSyncs = true }
        let observer = RecordingObserver()
        let batchBytes = encodedBytes(taggedBatch(0))
        let pipeline = try makePipeline(directory, storage: storage, observer: observer) {
            $0.maxQueuedBytes = batchBytes * 4
            $0.retryAfterSeconds = 7
        }
        let log = CompletionLog()
        var accepted: [Int] = []
        var refused: [Int] = []
        for tag in 0..<10 {
            switch pipeline.submit(taggedBatch(tag), completion: log.completion(tag)) {
            case .accepted: accepted.append(tag)
            case .queueFull(let retryAfter):
                #expect(retryAfter == 7)
                refused.append(tag)
            case .stopped: Issue.record("not stopped")
            }
            #expect(pipeline.queuedBytes <= batchBytes * 4)
        }
        #expect(accepted == [0, 1, 2, 3])
        #expect(refused == Array(4..<10))
        #expect(observer.events.filter { $0 == .refused("queue_full") }.count == refused.count)
        storage.grantSyncs(1000)
        #expect(log.waitForCount(accepted.count))
        #expect(log.count == accepted.count, "refused submissions never complete")
        #expect(pipeline.queuedBytes == 0)
        #expect(pipeline.submit(taggedBatch(99), completion: log.completion(99)) == .accepted, "room again")
        stopAndWait(pipeline)
        let lines = try spoolLines(directory.path)
        #expect(lines.allSatisfy { parseLine($0) != nil })
        #expect(try spoolBatchTags(directory.path) == (accepted + [99]).flatMap { Array(repeating: $0, count: 3) })
    }

    @Test func saturationFollowsTheQueueWithHysteresis() throws {
        let directory = TemporaryDirectory()
        let storage = ControlledStorage()
        storage.controls.withLock { $0.gateSyncs = true }
        let unit = encodedBytes(taggedBatch(0))
        // High water at 8 batches, low water at 5, room for 10.
        let pipeline = try makePipeline(directory, storage: storage, start: false) {
            $0.maxQueuedBytes = unit * 10
            $0.highWaterFraction = 0.8
            $0.lowWaterFraction = 0.5
        }
        let log = CompletionLog()
        // Round 1 will hold 3 batches: queued before the writer starts.
        for tag in 0..<3 { _ = pipeline.submit(taggedBatch(tag), completion: log.completion(tag)) }
        pipeline.start()
        #expect(waitUntil { storage.syncsStarted == 1 })
        for tag in 3..<7 { _ = pipeline.submit(taggedBatch(tag), completion: log.completion(tag)) }
        #expect(pipeline.queuedBytes == unit * 7)
        #expect(!pipeline.isSaturated, "7 of 10 is below the high-water mark")
        _ = pipeline.submit(taggedBatch(7), completion: log.completion(7))
        #expect(pipeline.isSaturated, "8 of 10 reaches it")
        storage.grantSyncs(1)
        #expect(log.waitForCount(3))
        #expect(waitUntil { storage.syncsStarted == 2 })
        #expect(pipeline.queuedBytes == unit * 5)
        #expect(pipeline.isSaturated, "5 of 10 is not below the low-water mark: still saturated")
        storage.grantSyncs(1)
        #expect(log.waitForCount(8))
        #expect(waitUntil { pipeline.queuedBytes == 0 })
        #expect(!pipeline.isSaturated)
        storage.grantSyncs(100)
        stopAndWait(pipeline)
    }

    @Test func stopCompletesEverythingAndRefusesAfterwards() throws {
        let directory = TemporaryDirectory()
        let storage = ControlledStorage()
        let observer = RecordingObserver()
        let pipeline = try makePipeline(directory, storage: storage, observer: observer)
        let log = CompletionLog()
        for tag in 0..<50 { #expect(pipeline.submit(taggedBatch(tag), completion: log.completion(tag)) == .accepted) }
        stopAndWait(pipeline)
        #expect(log.count == 50, "stop returns only after every completion ran")
        #expect(log.all.values.allSatisfy { (try? $0.get()) != nil })
        #expect(pipeline.queuedBytes == 0)
        let lastSyncedSize = storage.syncedSizes.values.reduce(0, +)
        #expect(lastSyncedSize == (try segmentBytesOnDisk(directory.path)), "everything on disk was fdatasync'd")

        #expect(pipeline.submit(taggedBatch(100), completion: log.completion(100)) == .stopped)
        #expect(observer.events.last == .refused("stopped"))
        let again = DispatchSemaphore(value: 0)
        pipeline.stop(deadline: .now + .seconds(1)) { again.signal() }
        #expect(again.wait(timeout: .now() + 5) == .success, "a second stop completes too")
        #expect(log.count == 50)

        // The data directory is free for the next pipeline, which sees the same lines.
        let next = try makePipeline(directory)
        stopAndWait(next)
        #expect(try spoolLines(directory.path).count == 150)
    }

    @Test func stopWithoutStartStillDrains() throws {
        let directory = TemporaryDirectory()
        let pipeline = try makePipeline(directory, start: false)
        let log = CompletionLog()
        #expect(pipeline.submit(taggedBatch(1), completion: log.completion(1)) == .accepted)
        stopAndWait(pipeline)
        #expect(log.count == 1)
        #expect(try spoolBatchTags(directory.path) == [1, 1, 1])
    }

    @Test func stopDeadlineFailsWhatCouldNotBeSynced() throws {
        let directory = TemporaryDirectory()
        let storage = ControlledStorage()
        storage.controls.withLock { $0.gateSyncs = true }
        let observer = RecordingObserver()
        let pipeline = try makePipeline(directory, storage: storage, observer: observer)
        let log = CompletionLog()
        #expect(pipeline.submit(taggedBatch(1), completion: log.completion(1)) == .accepted)
        #expect(waitUntil { storage.syncsStarted == 1 })
        #expect(pipeline.submit(taggedBatch(2), completion: log.completion(2)) == .accepted)
        stopAndWait(pipeline, deadline: .milliseconds(50))
        #expect(log.result(1).failure == .stopped)
        #expect(log.result(2).failure == .stopped)
        #expect(observer.events.contains(.deadlineExpired(unwrittenEvents: 6)))
        // Let the stuck writer finish; it must not call anything a second time. It closes the segment
        // after its completion loop, so once it has, any second call would have happened.
        let closesBefore = storage.closes
        storage.grantSyncs(100)
        #expect(waitUntil { storage.syncsFinished >= 1 })
        #expect(waitUntil { storage.closes > closesBefore })
        #expect(log.duplicateCalls == 0)
    }

    @Test func aSecondPipelineCannotOpenALockedDirectory() throws {
        let directory = TemporaryDirectory()
        let first = try makePipeline(directory)
        #expect(throws: WALIOError.self) { _ = try makePipeline(directory) }
        stopAndWait(first)
    }

    @Test func heartbeatAdvancesWhileIdle() throws {
        let directory = TemporaryDirectory()
        let pipeline = try makePipeline(directory)
        let first = pipeline.heartbeat()
        #expect(waitUntil { pipeline.heartbeat() > first })
        stopAndWait(pipeline)
    }

    @Test func emptyBatchIsAcknowledged() throws {
        let directory = TemporaryDirectory()
        let pipeline = try makePipeline(directory)
        let log = CompletionLog()
        #expect(pipeline.submit(makeBatch(events: []), completion: log.completion(1)) == .accepted)
        #expect(log.waitForCount(1))
        #expect(log.result(1).succeeded)
        stopAndWait(pipeline)
        #expect(try spoolLines(directory.path).isEmpty)
    }
}

/// Sum of the segment files' sizes, from stat.
func segmentBytesOnDisk(_ directory: String) throws -> Int64 {
    try SpoolReader(dataDirectory: directory).segments().reduce(0) { total, path in
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return total + ((attributes[.size] as? NSNumber)?.int64Value ?? 0)
    }
}

private func rfc3339Nano(_ nanos: Int64) -> String {
    var bytes: [UInt8] = []
    EventTime.formatRFC3339Nano(nanos, into: &bytes)
    return String(decoding: bytes, as: UTF8.self)
}
