import Foundation
import Testing
@testable import Pipeline
import TestSupport

@Suite struct WriteFailureTests {
    private func submitAndWait(_ pipeline: EventPipeline, _ tag: Int) -> Result<SubmissionReceipt, PipelineError>? {
        let log = CompletionLog()
        #expect(pipeline.submit(taggedBatch(tag), completion: log.completion(tag)) == .accepted)
        #expect(log.waitForCount(1))
        return log.result(tag)
    }

    @Test func aTornWriteFailsItsSubmissionsLeavesNoPartialLineAndThePipelineKeepsGoing() throws {
        let directory = TemporaryDirectory()
        let storage = ControlledStorage()
        let observer = RecordingObserver()
        let pipeline = try makePipeline(directory, storage: storage, observer: observer)
        #expect(submitAndWait(pipeline, 1).succeeded)
        storage.controls.withLock { $0.failingAppends = 1 }
        let failed = submitAndWait(pipeline, 2)
        guard case .writeFailed(let message) = failed.failure else {
            Issue.record("expected writeFailed, got \(String(describing: failed))")
            return
        }
        #expect(message.contains("No space left on device"))
        #expect(observer.failures.count == 1)
        #expect(submitAndWait(pipeline, 3).succeeded)
        #expect(pipeline.queuedBytes == 0)
        stopAndWait(pipeline)
        let lines = try spoolLines(directory.path)
        #expect(lines.allSatisfy { parseLine($0) != nil }, "no torn bytes between lines")
        #expect(try spoolBatchTags(directory.path) == [1, 1, 1, 3, 3, 3])
        #expect(try SpoolReader(dataDirectory: directory.path).segments().count == 1, "truncated in place")
    }

    @Test func whenTheTruncateAlsoFailsTheSegmentIsAbandonedAndEarlierLinesStayDurable() throws {
        let directory = TemporaryDirectory()
        let storage = ControlledStorage()
        storage.controls.withLock { $0.gateSyncs = true }
        let pipeline = try makePipeline(directory, storage: storage)
        let log = CompletionLog()
        // Batch 1 alone in round 1 (held in its fdatasync); batches 2 and 3 form round 2, written by one
        // writev that we make fail.
        #expect(pipeline.submit(taggedBatch(1), completion: log.completion(1)) == .accepted)
        #expect(waitUntil { storage.syncsStarted == 1 })
        #expect(pipeline.submit(taggedBatch(2), completion: log.completion(2)) == .accepted)
        #expect(pipeline.submit(taggedBatch(3), completion: log.completion(3)) == .accepted)
        storage.controls.withLock {
            $0.failingAppends = 1
            $0.failingTruncates = 1
            $0.tornFractionOnFailure = 0.3
        }
        storage.grantSyncs(100)
        #expect(log.waitForCount(3))
        #expect(log.result(1).succeeded)
        #expect(log.result(2).failure != nil && log.result(3).failure != nil)
        #expect(submitAndWait(pipeline, 4).succeeded)
        #expect(pipeline.segmentCount == 2, "the torn segment was closed; batch 4 went to a new one")
        stopAndWait(pipeline)
        // 30% of round 2 reached the file: batch 2's first line complete, its second torn. The complete line
        // stays (a refused batch may be retried: at-least-once); the reader skips the torn tail of the
        // closed segment, and recovery cuts it.
        #expect(try spoolBatchTags(directory.path) == [1, 1, 1, 2, 4, 4, 4])
        let outcome = try SegmentRecovery.recover(directory: directory.path)
        #expect(outcome.truncatedBytes > 0)
        #expect(try spoolBatchTags(directory.path) == [1, 1, 1, 2, 4, 4, 4])
    }

    @Test func aFailedFdatasyncFailsTheRoundCutsItsLinesAndMovesToANewSegment() throws {
        let directory = TemporaryDirectory()
        let storage = ControlledStorage()
        let observer = RecordingObserver()
        let pipeline = try makePipeline(directory, storage: storage, observer: observer)
        #expect(submitAndWait(pipeline, 1).succeeded)
        storage.controls.withLock { $0.failingSyncs = 1 }
        let failed = submitAndWait(pipeline, 2)
        guard case .writeFailed(let message) = failed.failure else {
            Issue.record("expected writeFailed, got \(String(describing: failed))")
            return
        }
        #expect(message.contains("fdatasync"))
        #expect(submitAndWait(pipeline, 3).succeeded)
        #expect(pipeline.segmentCount == 2)
        stopAndWait(pipeline)
        #expect(try spoolBatchTags(directory.path) == [1, 1, 1, 3, 3, 3], "the refused batch is not left behind to duplicate")
    }

    @Test func aSegmentThatCannotBeCreatedFailsTheRoundAndTheNextRoundRetries() throws {
        let directory = TemporaryDirectory()
        let storage = ControlledStorage()
        storage.controls.withLock { $0.failingCreates = 1 }
        let observer = RecordingObserver()
        let pipeline = try makePipeline(directory, storage: storage, observer: observer)
        guard case .writeFailed = submitAndWait(pipeline, 1).failure else {
            Issue.record("expected writeFailed")
            return
        }
        #expect(submitAndWait(pipeline, 2).succeeded)
        stopAndWait(pipeline)
        #expect(observer.failures.count == 1)
        #expect(try spoolBatchTags(directory.path) == [2, 2, 2])
    }

    @Test func memoryModeWriteFailuresAreCounted() throws {
        let directory = TemporaryDirectory()
        let storage = ControlledStorage()
        storage.controls.withLock { $0.failingAppends = 1 }
        let observer = RecordingObserver()
        let pipeline = try makePipeline(directory, ackMode: .memory, storage: storage, observer: observer)
        #expect(pipeline.submit(taggedBatch(1)) { _ in } == .accepted)
        #expect(waitUntil { observer.failures.count == 1 })
        #expect(pipeline.submit(taggedBatch(2)) { _ in } == .accepted)
        stopAndWait(pipeline)
        #expect(try spoolBatchTags(directory.path) == [2, 2, 2])
    }
}
