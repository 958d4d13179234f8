import Foundation
import Testing
@testable import Pipeline
import TestSupport

@Suite struct SegmentRotationTests {
    /// Submits one batch and waits for its durable completion.
    private func submitAndWait(_ pipeline: EventPipeline, _ tag: Int, padding: Int = 0) {
        let log = CompletionLog()
        #expect(pipeline.submit(taggedBatch(tag, padding: padding), completion: log.completion(tag)) == .accepted)
        #expect(log.waitForCount(1))
        #expect(log.result(tag).succeeded)
    }

    @Test func rotatesBySizeWithoutSplittingABatch() throws {
        let directory = TemporaryDirectory()
        let observer = RecordingObserver()
        let unit = encodedBytes(taggedBatch(0))
        // Room for two batches per segment, not three.
        let pipeline = try makePipeline(directory, observer: observer) { $0.segmentMaxBytes = unit * 5 / 2 }
        for tag in 0..<10 { submitAndWait(pipeline, tag) }
        #expect(pipeline.segmentCount == 5)
        #expect(observer.rotations == 4)
        stopAndWait(pipeline)
        #expect(observer.rotations == 5, "stop closes the active segment")

        let segments = try SpoolReader(dataDirectory: directory.path).segments()
        #expect(segments.map { ($0 as NSString).lastPathComponent } == (1...5).map { SegmentFileName.name(sequence: UInt64($0)) })
        for (index, path) in segments.enumerated() {
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
            #expect(size == unit * 2)
            let tags = try linesOf(path).map { (parseLine($0)?["data"] as? [String: Any])?["batch"] as? Int }
            #expect(tags == [index * 2, index * 2, index * 2, index * 2 + 1, index * 2 + 1, index * 2 + 1])
        }
        #expect(try spoolBatchTags(directory.path) == (0..<10).flatMap { Array(repeating: $0, count: 3) })
    }

    @Test func anOversizedBatchGetsASegmentToItself() throws {
        let directory = TemporaryDirectory()
        let small = encodedBytes(taggedBatch(0))
        let pipeline = try makePipeline(directory) { $0.segmentMaxBytes = small * 3 / 2 }
        submitAndWait(pipeline, 0)
        submitAndWait(pipeline, 1, padding: small * 2)
        submitAndWait(pipeline, 2)
        stopAndWait(pipeline)
        let segments = try SpoolReader(dataDirectory: directory.path).segments()
        #expect(segments.count == 3)
        #expect(try segments.map { try linesOf($0).count } == [3, 3, 3])
        #expect(try spoolBatchTags(directory.path) == [0, 0, 0, 1, 1, 1, 2, 2, 2])
    }

    @Test func rotatesByAgeOnTheNextWrite() throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock()
        let observer = RecordingObserver()
        // A long tick, so only the write itself can notice the age.
        let pipeline = try makePipeline(directory, observer: observer, clock: clock) {
            $0.segmentMaxAge = .seconds(60)
            $0.writerTickInterval = .seconds(3600)
        }
        submitAndWait(pipeline, 0)
        clock.advance(by: .seconds(59))
        submitAndWait(pipeline, 1)
        #expect(pipeline.segmentCount == 1, "59 s old: not yet")
        clock.advance(by: .seconds(2))
        submitAndWait(pipeline, 2)
        #expect(pipeline.segmentCount == 2)
        #expect(observer.rotations == 1)
        stopAndWait(pipeline)
        let segments = try SpoolReader(dataDirectory: directory.path).segments()
        #expect(try segments.map { try linesOf($0).count } == [6, 3])
    }

    @Test func rotatesByAgeOnAnIdleTick() throws {
        let directory = TemporaryDirectory()
        let clock = ManualClock()
        let observer = RecordingObserver()
        let pipeline = try makePipeline(directory, observer: observer, clock: clock) { $0.segmentMaxAge = .seconds(60) }
        submitAndWait(pipeline, 0)
        #expect(observer.rotations == 0)
        clock.advance(by: .seconds(61))
        #expect(waitUntil { observer.rotations == 1 }, "the writer's tick closes the aged segment")
        #expect(pipeline.segmentCount == 1, "closed, and no empty segment opened")
        submitAndWait(pipeline, 1)
        #expect(pipeline.segmentCount == 2)
        stopAndWait(pipeline)
    }

    @Test func retentionDeletesOldestClosedSegmentsNeverTheActiveOne() throws {
        let directory = TemporaryDirectory()
        let observer = RecordingObserver()
        let unit = encodedBytes(taggedBatch(0))
        // One batch per segment; keep about three batches.
        let pipeline = try makePipeline(directory, observer: observer) {
            $0.segmentMaxBytes = unit
            $0.retentionMaxBytes = Int64(unit * 3)
        }
        for tag in 0..<10 {
            submitAndWait(pipeline, tag)
            #expect(waitUntil { pipeline.walBytes <= Int64(unit * 3) })
            #expect(pipeline.walBytes == (try segmentBytesOnDisk(directory.path)))
            #expect(try spoolBatchTags(directory.path).last == tag, "the newest batch is never deleted")
        }
        #expect(pipeline.segmentCount == 3)
        let deleted = observer.deletions
        #expect(deleted.reduce(0) { $0 + $1.count } == 7)
        #expect(deleted.reduce(0) { $0 + $1.bytes } == Int64(unit * 7))
        stopAndWait(pipeline)
        #expect(try spoolBatchTags(directory.path) == (7..<10).flatMap { Array(repeating: $0, count: 3) })
    }

    @Test func retentionSparesTheActiveSegmentEvenWhenItAloneIsOverTheLimit() throws {
        let directory = TemporaryDirectory()
        let unit = encodedBytes(taggedBatch(0))
        let pipeline = try makePipeline(directory) {
            $0.segmentMaxBytes = unit * 10
            $0.retentionMaxBytes = Int64(unit)
        }
        for tag in 0..<3 { submitAndWait(pipeline, tag) }
        #expect(pipeline.segmentCount == 1)
        #expect(pipeline.walBytes == Int64(unit * 3))
        stopAndWait(pipeline)
        #expect(try spoolBatchTags(directory.path).count == 9)
    }
}

/// The complete lines of one segment file.
func linesOf(_ path: String) throws -> [String] {
    let contents = try String(contentsOfFile: path, encoding: .utf8)
    var lines = contents.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    return lines
}
