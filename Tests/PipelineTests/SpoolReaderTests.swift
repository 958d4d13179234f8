import Dispatch
import Foundation
import Locking
import Synchronization
import Testing
@testable import Pipeline
import TestSupport

@Suite struct SpoolReaderTests {
    @Test func forEachLineStopsEarlyAndSkipsPartialLines() throws {
        let directory = TemporaryDirectory()
        _ = FileManager.default.createFile(atPath: directory.segmentPath(1), contents: Data("a\nb\n".utf8))
        _ = FileManager.default.createFile(atPath: directory.segmentPath(2), contents: Data("c\nd\npartial".utf8))
        _ = FileManager.default.createFile(atPath: directory.path + "/other.jsonl", contents: Data("x\n".utf8))
        #expect(try spoolLines(directory.path) == ["a", "b", "c", "d"])
        var seen: [String] = []
        try SpoolReader(dataDirectory: directory.path).forEachLine { line in
            seen.append(String(decoding: line, as: UTF8.self))
            return seen.count < 3
        }
        #expect(seen == ["a", "b", "c"])
    }

    @Test func readsLinesLongerThanOneReadChunk() throws {
        let directory = TemporaryDirectory()
        let long = String(repeating: "z", count: SegmentLineScanner.readChunkBytes * 2 + 5)
        _ = FileManager.default.createFile(atPath: directory.segmentPath(1), contents: Data(("s\n" + long + "\nt\n").utf8))
        #expect(try spoolLines(directory.path) == ["s", long, "t"])
    }

    @Test func missingDirectoryIsAnError() {
        #expect(throws: WALIOError.self) { try SpoolReader(dataDirectory: "/tmp/kelpie-no-such-dir-\(getpid())").segments() }
    }

    @Test func followSeesAppendedLinesAcrossRotationsAndNeverAPartialLine() throws {
        let directory = TemporaryDirectory()
        // A hand-written segment whose last line is still being written.
        let handle = try #require(FileHandle(forWritingAtPath: { () -> String in
            _ = FileManager.default.createFile(atPath: directory.segmentPath(1), contents: Data("first\nsec".utf8))
            return directory.segmentPath(1)
        }()))
        let seen = Lock<[String]>([])
        let stop = Lock(false)
        let finished = DispatchSemaphore(value: 0)
        let reader = SpoolReader(dataDirectory: directory.path)
        let failure = Lock<(any Error)?>(nil)
        let polls = Atomic<Int>(0)
        Thread {
            do {
                try reader.follow(pollInterval: .milliseconds(5), shouldStop: {
                    polls.add(1, ordering: .releasing)
                    return stop.withLock { $0 }
                }) { line in
                    let text = String(decoding: line, as: UTF8.self)
                    seen.withLock { $0.append(text) }
                }
            } catch {
                failure.withLock { $0 = error }
            }
            finished.signal()
        }.start()

        #expect(waitUntil { seen.withLock { $0 } == ["first"] })
        // The reader has polled past the partial line more than once: it would have shown by now.
        let pollsAtFirst = polls.load(ordering: .acquiring)
        #expect(waitUntil { polls.load(ordering: .acquiring) >= pollsAtFirst + 3 })
        #expect(seen.withLock { $0 } == ["first"], "the partial line is held back")
        handle.seekToEndOfFile()
        handle.write(Data("ond\n".utf8))
        try handle.close()
        #expect(waitUntil { seen.withLock { $0 } == ["first", "second"] })

        // Now a pipeline appends after it, rotating every two batches.
        let unit = encodedBytes(taggedBatch(0))
        let pipeline = try makePipeline(directory) { $0.segmentMaxBytes = unit * 2 }
        let log = CompletionLog()
        for tag in 0..<7 {
            #expect(pipeline.submit(taggedBatch(tag), completion: log.completion(tag)) == .accepted)
            #expect(log.waitForCount(tag + 1))
        }
        #expect(pipeline.segmentCount >= 4)
        #expect(waitUntil { seen.withLock { $0.count } == 2 + 21 })
        stopAndWait(pipeline)
        stop.withLock { $0 = true }
        #expect(finished.wait(timeout: .now() + 10) == .success)
        #expect(failure.withLock { $0 } == nil)

        let lines = seen.withLock { $0 }
        #expect(lines.count == 23)
        let tags = lines.dropFirst(2).map { (parseLine($0)?["data"] as? [String: Any])?["batch"] as? Int }
        #expect(tags == (0..<7).flatMap { Array(repeating: $0, count: 3) })
    }
}
