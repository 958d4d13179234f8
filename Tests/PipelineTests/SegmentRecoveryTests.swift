import Foundation
import Testing
@testable import Pipeline

@Suite struct SegmentRecoveryTests {
    private let completeLine = #"{"dataset":"old","time":"1970-01-01T00:00:00Z","samplerate":1,"key_id":"k","data":{"n":1}}"#

    private func write(_ text: String, to path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    }

    @Test func truncatesATornLastLineKeepsCompleteOnesAndAppendsAfterThem() throws {
        let directory = TemporaryDirectory()
        write(completeLine + "\n" + completeLine + "\n", to: directory.segmentPath(1))
        let torn = #"{"dataset":"old","time":"1970-01-01T00:00:00Z","samp"#
        write(completeLine + "\n" + completeLine + "\n" + torn, to: directory.segmentPath(2))
        write("", to: directory.segmentPath(3))

        // Before recovery the reader already hides the torn tail.
        #expect(try spoolLines(directory.path) == Array(repeating: completeLine, count: 4))

        let pipeline = try makePipeline(directory)
        #expect(try linesOf(directory.segmentPath(2)) == [completeLine, completeLine])
        let repairedSize = try FileManager.default.attributesOfItem(atPath: directory.segmentPath(2))[.size] as? Int
        #expect(repairedSize == (completeLine.utf8.count + 1) * 2)
        #expect(!FileManager.default.fileExists(atPath: directory.segmentPath(3)), "empty segment removed")
        #expect(pipeline.segmentCount == 2)

        let log = CompletionLog()
        #expect(pipeline.submit(taggedBatch(7), completion: log.completion(7)) == .accepted)
        #expect(log.waitForCount(1))
        stopAndWait(pipeline)
        #expect(FileManager.default.fileExists(atPath: directory.segmentPath(4)), "new lines go to a new segment")
        let lines = try spoolLines(directory.path)
        #expect(Array(lines.prefix(4)) == Array(repeating: completeLine, count: 4))
        #expect(lines.count == 7)
        #expect(lines.allSatisfy { parseLine($0) != nil })
    }

    @Test func aSegmentWithoutAnyNewlineIsRemoved() throws {
        let directory = TemporaryDirectory()
        write(completeLine + "\n", to: directory.segmentPath(1))
        write("{\"dataset\":\"x", to: directory.segmentPath(2))
        let outcome = try SegmentRecovery.recover(directory: directory.path)
        #expect(outcome.segments.map(\.sequence) == [1])
        #expect(outcome.truncatedBytes == 13)
        #expect(outcome.removedEmptySegments == 1)
    }

    @Test func findsTheLastNewlineAcrossManyScanChunks() throws {
        let directory = TemporaryDirectory()
        // A torn line longer than one backward-scan chunk.
        let longTorn = "{\"data\":\"" + String(repeating: "y", count: SegmentRecovery.backwardScanChunkBytes * 2 + 17)
        write(completeLine + "\n" + longTorn, to: directory.segmentPath(5))
        let outcome = try SegmentRecovery.recover(directory: directory.path)
        #expect(outcome.segments == [ClosedSegment(sequence: 5, path: directory.segmentPath(5), size: Int64(completeLine.utf8.count + 1))])
        #expect(try linesOf(directory.segmentPath(5)) == [completeLine])
    }

    @Test func ignoresFilesThatAreNotSegments() throws {
        let directory = TemporaryDirectory()
        write("torn", to: directory.path + "/notes.txt")
        write("torn", to: directory.path + "/wal-12.jsonl")
        let outcome = try SegmentRecovery.recover(directory: directory.path)
        #expect(outcome.segments.isEmpty)
        #expect(try String(contentsOfFile: directory.path + "/wal-12.jsonl", encoding: .utf8) == "torn")
    }

    @Test func segmentNamesRoundTrip() {
        #expect(SegmentFileName.name(sequence: 42) == "wal-0000000000000042.jsonl")
        #expect(SegmentFileName.sequence(fromName: "wal-0000000000000042.jsonl") == 42)
        #expect(SegmentFileName.sequence(fromName: "wal-000000000000004x.jsonl") == nil)
        #expect(SegmentFileName.sequence(fromName: "wal-0000000000000042.json") == nil)
        #expect(SegmentFileName.sequence(fromName: "wal.lock") == nil)
    }
}
