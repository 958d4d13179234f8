import EventModel
import Testing
@testable import Pipeline

@Suite struct SinkBlockTests {
    @Test func indexesDatasetKeyAndLineOfEveryCanonicalLine() {
        let awkward = "we\"ird\\set\u{01}/ünï"
        let lines = WALLineEncoder.encode([taggedBatch(1, count: 2, dataset: awkward), taggedBatch(2, count: 1)]).array
        let block = SinkBlock(lines: lines)
        #expect(block.events.count == 3)
        #expect(block.malformedLines == 0)
        #expect(block.dataset(of: 0) == awkward)
        #expect(block.dataset(of: 1) == awkward)
        #expect(block.dataset(of: 2) == "ds")
        #expect(block.keyID(of: 2) == "key-1")
        let expected = String(decoding: lines, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(block.events.indices.map { String(decoding: block.line(of: $0), as: UTF8.self) } == expected)
        #expect(block.eventBytes == lines.count - 3)
    }

    @Test func aLineThatIsNotCanonicalIsCountedNotIndexed() {
        let good = WALLineEncoder.encode(taggedBatch(7, count: 1)).array
        let lines = Array("{\"not\":\"canonical\"}\n".utf8) + good + Array("{\"dataset\":\"unterminated\n".utf8)
        let block = SinkBlock(lines: lines)
        #expect(block.events.count == 1)
        #expect(block.malformedLines == 2)
        #expect(block.dataset(of: 0) == "ds")
    }

    @Test func checkpointRoundTripsAndRejectsDamage() {
        let checkpoint = ForwarderCheckpoint(
            delivered: WALPosition(sequence: 3, offset: 120), sent: WALPosition(sequence: 4, offset: 9)
        )
        #expect(ForwarderCheckpoint.decode(checkpoint.encoded) == checkpoint)
        #expect(ForwarderCheckpoint.decode("kelpie-forwarder-checkpoint v1 delivered=3:x sent=4:9\n") == nil)
        #expect(ForwarderCheckpoint.decode("") == nil)
        // A sent mark behind the delivered one is read as the delivered one.
        let behind = ForwarderCheckpoint.decode("kelpie-forwarder-checkpoint v1 delivered=5:10 sent=1:0\n")
        #expect(behind?.sent == WALPosition(sequence: 5, offset: 10))
    }

    @Test func backoffGrowsToItsCapAndResetsOnSuccess() {
        var backoff = RetryBackoff(base: .milliseconds(100), cap: .seconds(1))
        #expect(backoff.failed(unitRandom: 1) == .milliseconds(100))
        #expect(backoff.failed(unitRandom: 1) == .milliseconds(200))
        #expect(backoff.failed(unitRandom: 0.5) == .milliseconds(200))
        for _ in 0..<10 { _ = backoff.failed(unitRandom: 1) }
        #expect(backoff.failed(unitRandom: 1) == .seconds(1))
        #expect(backoff.failed(unitRandom: 0) == .zero)
        backoff.succeeded()
        #expect(backoff.failed(unitRandom: 1) == .milliseconds(100))
    }

    @Test func backlogCapRefusesAndSaturatesWithHysteresis() {
        var gate = AdmissionGate(
            maxQueuedBytes: 1_000, highWaterFraction: 0.8, lowWaterFraction: 0.5, maxBacklogBytes: 10_000
        )
        #expect(gate.admit(bytes: 500) == .accepted)
        gate.release(bytes: 500)
        gate.updateBacklog(bytes: 7_999)
        #expect(!gate.isSaturated)
        gate.updateBacklog(bytes: 8_000)
        #expect(gate.isSaturated)
        #expect(gate.preview(bytes: 2_000) == .accepted)
        #expect(gate.preview(bytes: 2_001) == .walFull)
        gate.updateBacklog(bytes: 10_000)
        #expect(gate.precheck() == .walFull)
        #expect(gate.admit(bytes: 1) == .walFull)
        gate.updateBacklog(bytes: 5_000)
        #expect(gate.isSaturated)
        gate.updateBacklog(bytes: 4_999)
        #expect(!gate.isSaturated)
        #expect(gate.admit(bytes: 100) == .accepted)
    }
}
