import Dispatch
import Foundation
import EventModel
import TestSupport
import Testing
@testable import Pipeline

/// The pipeline in front of a remote sink: ack=memory and ack=delivered straight to the sink, ack=durable
/// through the WAL and the forwarder.
@Suite struct SinkPipelineTests {
    private func expectedLines(_ batches: [EventBatch]) -> [String] {
        batches.flatMap { batch in
            String(decoding: WALLineEncoder.encode(batch).array, as: UTF8.self).split(separator: "\n").map(String.init)
        }
    }

    @Test func memoryAckGoesToTheSinkWithoutTouchingTheDisk() throws {
        let directory = TemporaryDirectory()
        let sink = ScriptedSink()
        let pipeline = try makePipeline(directory, ackMode: .memory, sink: sink)
        let log = CompletionLog()
        let batches = (0..<5).map { taggedBatch($0) }
        for (tag, batch) in batches.enumerated() {
            #expect(pipeline.submit(batch, completion: log.completion(tag)) == .accepted)
            #expect(log.result(tag).succeeded, "ack=memory answers inside submit")
        }
        #expect(waitUntil { sink.deliveredLines.count == 15 })
        #expect(Set(sink.deliveredLines) == Set(expectedLines(batches)))
        #expect(waitUntil { pipeline.queuedBytes == 0 })
        stopAndWait(pipeline)
        #expect(try spoolLines(directory.path).isEmpty)
        #expect(pipeline.sinkName == "scripted")
    }

    @Test func deliveredAckAnswersOnlyOnceTheSinkConfirms() throws {
        let directory = TemporaryDirectory()
        let sink = ScriptedSink(mode: .hold)
        let pipeline = try makePipeline(directory, ackMode: .delivered, sink: sink)
        let log = CompletionLog()
        #expect(pipeline.submit(taggedBatch(1), completion: log.completion(1)) == .accepted)
        // The block reached the sink and is held there; only then is "no answer yet" meaningful.
        #expect(waitUntil { sink.heldBlocks == 1 })
        #expect(log.count == 0)
        #expect(pipeline.queuedBytes > 0)
        sink.releaseHeld()
        #expect(log.waitForCount(1))
        #expect(log.result(1).succeeded)
        #expect(pipeline.queuedBytes == 0)
        stopAndWait(pipeline)
        #expect(try spoolLines(directory.path).isEmpty)
    }

    @Test func deliveredAckAnswersSinkTimeoutAndKeepsTheBytesUntilTheSinkConfirms() throws {
        let directory = TemporaryDirectory()
        let observer = RecordingObserver()
        let sink = ScriptedSink(mode: .hold)
        let pipeline = try makePipeline(directory, ackMode: .delivered, observer: observer, sink: sink) {
            $0.sinkTimeout = .milliseconds(50)
        }
        let log = CompletionLog()
        #expect(pipeline.submit(taggedBatch(1), completion: log.completion(1)) == .accepted)
        #expect(log.waitForCount(1))
        #expect(log.result(1).failure == .sinkTimeout)
        #expect(observer.events.contains(.sinkTimedOut(events: 3)))
        #expect(pipeline.queuedBytes > 0, "the events still wait for the sink")
        sink.releaseHeld()
        #expect(waitUntil { pipeline.queuedBytes == 0 })
        #expect(log.duplicateCalls == 0)
        #expect(sink.deliveredLines.count == 3)
        stopAndWait(pipeline)
    }

    @Test func anUnreachableSinkFillsTheBudgetThenEverythingIsDeliveredOnRecovery() throws {
        let directory = TemporaryDirectory()
        let observer = RecordingObserver()
        let sink = ScriptedSink(mode: .fail("broker_down"))
        let one = encodedBytes(taggedBatch(0))
        let pipeline = try makePipeline(directory, ackMode: .memory, observer: observer, sink: sink) {
            $0.maxQueuedBytes = one * 4
        }
        var accepted: [EventBatch] = []
        var refused = 0
        for tag in 0..<8 {
            let batch = taggedBatch(tag)
            switch pipeline.submit(batch, completion: { _ in }) {
            case .accepted: accepted.append(batch)
            case .queueFull(let retryAfter): refused += 1; #expect(retryAfter >= 1)
            case .stopped: Issue.record("stopped")
            }
        }
        #expect(accepted.count == 4)
        #expect(refused == 4)
        #expect(pipeline.isSaturated)
        #expect(waitUntil { observer.sinkFailures >= 8 })
        sink.setMode(.deliver)
        #expect(waitUntil { pipeline.queuedBytes == 0 })
        #expect(Set(sink.deliveredLines) == Set(expectedLines(accepted)))
        #expect(sink.deliveredLines.count == 12, "each accepted event exactly once: failed attempts delivered nothing")
        #expect(observer.redeliveredEvents >= 12)
        #expect(!pipeline.isSaturated)
        stopAndWait(pipeline)
    }

    @Test func rejectedEventsGoToTheDeadLetterSpoolAndTheRestFlows() throws {
        let directory = TemporaryDirectory()
        let observer = RecordingObserver()
        let sink = ScriptedSink(mode: .reject(marker: "\"batch\":2,", reason: "record_too_large"))
        let pipeline = try makePipeline(directory, ackMode: .delivered, observer: observer, sink: sink)
        let log = CompletionLog()
        for tag in 1...3 { _ = pipeline.submit(taggedBatch(tag), completion: log.completion(tag)) }
        #expect(log.waitForCount(3))
        #expect(sink.deliveredLines.count == 6)
        #expect(observer.events.contains(.deadLettered(events: 3, reason: "record_too_large")))
        let deadLetters = try String(contentsOfFile: directory.path + "/deadletter/deadletter.jsonl", encoding: .utf8)
            .split(separator: "\n")
        #expect(deadLetters.count == 3)
        for line in deadLetters {
            let record = try #require(parseLine(String(line)))
            #expect(record["reason"] as? String == "record_too_large")
            #expect(record["sink"] as? String == "scripted")
            let event = try #require(record["event"] as? [String: Any])
            #expect((event["data"] as? [String: Any])?["batch"] as? Int == 2)
        }
        stopAndWait(pipeline)
    }

    /// Regression: stopping with a block in flight hung for ever when the sink reported it on its own callback
    /// thread and its flush waited for that thread (as KafkaPipelineSink does on librdkafka's poll loop).
    @Test(arguments: [AckMode.delivered, .memory])
    func stopDoesNotFlushOnTheSinksCallbackThread(ack: AckMode) throws {
        let directory = TemporaryDirectory()
        let sink = CallbackThreadSink()
        let pipeline = try makePipeline(directory, ackMode: ack, sink: sink)
        let log = CompletionLog()
        #expect(pipeline.submit(taggedBatch(1), completion: log.completion(1)) == .accepted)
        #expect(waitUntil { sink.heldBlocks == 1 })
        let stopped = DispatchSemaphore(value: 0)
        pipeline.stop(deadline: .now + .seconds(30)) { stopped.signal() }
        sink.releaseHeld()
        #expect(stopped.wait(timeout: .now() + .seconds(10)) == .success, "stop hung")
        #expect(log.waitForCount(1))
        #expect(log.result(1).succeeded)
    }

    /// ack=delivered: the completion names the rejected events, indexed across the submission's batches, so
    /// the answer can report them per event.
    @Test func deliveredAckReportsTheRejectedEventsOfTheSubmission() throws {
        let directory = TemporaryDirectory()
        let sink = ScriptedSink(mode: .reject(marker: "\"batch\":2,", reason: "record_too_large"))
        let pipeline = try makePipeline(directory, ackMode: .delivered, sink: sink)
        let log = CompletionLog()
        #expect(pipeline.submit([taggedBatch(1), taggedBatch(2)], completion: log.completion(1)) == .accepted)
        #expect(pipeline.submit(taggedBatch(3), completion: log.completion(2)) == .accepted)
        #expect(log.waitForCount(2))
        let rejected = (0..<3).map { SinkRejection(eventIndex: 3 + $0, reason: "record_too_large") }
        #expect(log.result(1) == .success(SubmissionReceipt(rejected: rejected)))
        #expect(log.result(2) == .success(.stored))
        stopAndWait(pipeline)
    }

    @Test func durableForwardsFromTheWALInOrderAndDeletesDeliveredSegments() throws {
        let directory = TemporaryDirectory()
        let observer = RecordingObserver()
        let sink = ScriptedSink()
        let one = encodedBytes(taggedBatch(0))
        let pipeline = try makePipeline(directory, ackMode: .durable, observer: observer, sink: sink) {
            $0.segmentMaxBytes = one * 2
        }
        let log = CompletionLog()
        let batches = (0..<10).map { taggedBatch($0) }
        for (tag, batch) in batches.enumerated() {
            #expect(pipeline.submit(batch, completion: log.completion(tag)) == .accepted)
            #expect(log.waitForCount(tag + 1))
        }
        #expect(log.all.values.allSatisfy { if case .success = $0 { true } else { false } })
        #expect(waitUntil { sink.deliveredLines.count == 30 })
        #expect(sink.deliveredLines == expectedLines(batches), "the WAL's order")
        // Every closed segment is delivered, so the writer deletes them; only the active one may stay.
        #expect(waitUntil { pipeline.segmentCount <= 1 })
        #expect(observer.deletions.reduce(0) { $0 + $1.count } >= 4)
        stopAndWait(pipeline)
        let checkpoint = try #require(try ForwarderCheckpoint.load(directory: directory.path))
        #expect(checkpoint.delivered == checkpoint.sent)
        #expect(observer.redeliveredEvents == 0)
    }

    @Test func durableKeepsEverythingThroughAnOutageAndRefusesPastTheWALCap() throws {
        let directory = TemporaryDirectory()
        let observer = RecordingObserver()
        let sink = ScriptedSink(mode: .fail("broker_down"))
        let one = encodedBytes(taggedBatch(0))
        let pipeline = try makePipeline(directory, ackMode: .durable, observer: observer, sink: sink) {
            $0.segmentMaxBytes = one
            $0.retentionMaxBytes = Int64(one * 5)
        }
        var accepted: [EventBatch] = []
        var tag = 0
        // Submit until the WAL cap refuses; each acknowledged batch is fsync'd first.
        while tag < 50 {
            let batch = taggedBatch(tag)
            let log = CompletionLog()
            let result = pipeline.submit(batch, completion: log.completion(0))
            if result != .accepted {
                #expect(result == .queueFull(retryAfterSeconds: 1))
                break
            }
            #expect(log.waitForCount(1))
            accepted.append(batch)
            tag += 1
            #expect(waitUntil { pipeline.walBytes >= Int64(one * accepted.count) })
        }
        #expect(accepted.count == 5)
        #expect(observer.events.contains(.refused("wal_full")))
        #expect(pipeline.isSaturated)
        #expect(try spoolLines(directory.path).count == 15, "nothing undelivered was deleted")
        sink.setMode(.deliver)
        #expect(waitUntil { sink.deliveredLines.count == 15 })
        #expect(sink.deliveredLines == expectedLines(accepted))
        #expect(waitUntil { !pipeline.isSaturated })
        #expect(pipeline.submit(taggedBatch(99), completion: { _ in }) == .accepted)
        stopAndWait(pipeline)
    }

    @Test func aRestartResumesFromTheCheckpointAndCountsWhatItSendsAgain() throws {
        let directory = TemporaryDirectory()
        let first = (0..<4).map { taggedBatch($0) }
        do {
            let sink = ScriptedSink()
            let pipeline = try makePipeline(directory, ackMode: .durable, sink: sink)
            for batch in first { _ = pipeline.submit(batch, completion: { _ in }) }
            #expect(waitUntil { sink.deliveredLines.count == 12 })
            stopAndWait(pipeline)
        }
        let second = (4..<6).map { taggedBatch($0) }
        do {
            // This run's sink never confirms: everything it was sent stays behind the checkpoint.
            let sink = ScriptedSink(mode: .hold)
            let pipeline = try makePipeline(directory, ackMode: .durable, sink: sink)
            for batch in second { _ = pipeline.submit(batch, completion: { _ in }) }
            #expect(waitUntil { sink.heldBlocks >= 1 })
            stopAndWait(pipeline, deadline: .milliseconds(200))
        }
        let observer = RecordingObserver()
        let sink = ScriptedSink()
        let pipeline = try makePipeline(directory, ackMode: .durable, observer: observer, sink: sink)
        #expect(waitUntil { sink.deliveredLines.count == 6 })
        #expect(sink.deliveredLines == expectedLines(second), "only what was never confirmed, in order")
        #expect(observer.redeliveredEvents == 6)
        stopAndWait(pipeline)
    }

    @Test func deliveredWithTheSpoolIsDurable() throws {
        let directory = TemporaryDirectory()
        let storage = ControlledStorage()
        let pipeline = try makePipeline(directory, ackMode: .delivered, storage: storage)
        let log = CompletionLog()
        #expect(pipeline.submit(taggedBatch(1), completion: log.completion(1)) == .accepted)
        #expect(log.waitForCount(1))
        #expect(storage.syncsFinished >= 1)
        #expect(pipeline.sinkName == "spool")
        stopAndWait(pipeline)
        #expect(try spoolBatchTags(directory.path) == [1, 1, 1])
    }

    @Test func nullSinkCountsAndDiscards() throws {
        let directory = TemporaryDirectory()
        let sink = NullSink()
        let pipeline = try makePipeline(directory, ackMode: .memory, sink: sink)
        for tag in 0..<3 { _ = pipeline.submit(taggedBatch(tag), completion: { _ in }) }
        #expect(sink.discarded.events == 9)
        stopAndWait(pipeline)
        #expect(try spoolLines(directory.path).isEmpty)
    }
}
