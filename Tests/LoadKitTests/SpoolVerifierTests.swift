import Glibc
import Testing

@testable import LoadKit

@Suite struct SpoolVerifierTests {
    func temporaryDirectory() -> String {
        var template = Array("/tmp/kelpie-load-test-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        return path
    }

    /// Spool lines in Kelpie's format, one per acknowledged event.
    func spoolLines(run: String, count: Int) -> [String] {
        (0..<count).map { index in
            #"{"dataset":"ds","time":"2024-05-01T12:34:56.789Z","samplerate":1,"data":{"kelpie_load_id":""#
                + AckLedger.id(runID: run, sequence: UInt64(index)) + #"","n":\#(index)}}"#
        }
    }

    @Test func detectsADeletedLineAndADuplicatedOne() throws {
        let directory = temporaryDirectory()
        defer { _ = system("rm -rf '\(directory)'") }
        let ledger = AckLedger(runID: "run7", sequences: (0..<50).map { UInt64($0) })
        try ledger.write(to: directory + "/acked.txt")
        var lines = spoolLines(run: "run7", count: 50)
        let deleted = lines.remove(at: 17)
        lines.append(lines[30])  // a duplicate of sequence 31 (index shifted by the deletion)
        try FileIO.write(lines.prefix(25).joined(separator: "\n") + "\n", to: directory + "/wal-000001.jsonl")
        try FileIO.write(lines.dropFirst(25).joined(separator: "\n") + "\n", to: directory + "/wal-000002.jsonl")
        try FileIO.write("not a spool file\n", to: directory + "/notes.txt")

        let ids = try AckLedger.readIDs(from: directory + "/acked.txt")
        #expect(ids.count == 50)
        let report = try SpoolVerifier.verify(acknowledged: ids, sources: [directory], runPrefix: "run7-")
        #expect(report.filesScanned == 2)
        #expect(report.acknowledged == 50)
        #expect(report.missingCount == 1)
        #expect(report.missingSample == [AckLedger.id(runID: "run7", sequence: 17)])
        #expect(deleted.contains(report.missingSample[0]))
        #expect(report.duplicatedIDs == 1)
        #expect(report.duplicateSample == [AckLedger.id(runID: "run7", sequence: 31)])
        #expect(!report.passed)
    }

    /// Behind a load balancer every process has its own data dir: the ids spread over them verify as one
    /// set, an id stored by two processes is a duplicate, and one missing from all of them is missing.
    @Test func severalSpoolDirectoriesVerifyAsOne() throws {
        let root = temporaryDirectory()
        defer { _ = system("rm -rf '\(root)'") }
        let lines = spoolLines(run: "lb", count: 30)
        for (index, name) in ["s1", "s2", "s3"].enumerated() {
            mkdir(root + "/" + name, 0o755)
            let share = lines.enumerated().filter { $0.offset % 3 == index && $0.offset != 29 }.map(\.element)
            try FileIO.write(share.joined(separator: "\n") + "\n", to: root + "/\(name)/wal-000001.jsonl")
        }
        try FileIO.write(lines[4] + "\n", to: root + "/s3/wal-000002.jsonl")  // id 4 (from s2) stored twice
        let ids = (0..<30).map { AckLedger.id(runID: "lb", sequence: UInt64($0)) }
        let report = try SpoolVerifier.verify(
            acknowledged: ids, sources: ["s1", "s2", "s3"].map { root + "/" + $0 }, runPrefix: "lb-")
        #expect(report.filesScanned == 4)
        #expect(report.acknowledgedFound == 29)
        #expect(report.missingSample == [AckLedger.id(runID: "lb", sequence: 29)])
        #expect(report.duplicateSample == [AckLedger.id(runID: "lb", sequence: 4)])
        #expect(!report.passed)
    }

    @Test func intactSpoolPassesAndSingleFilesWork() throws {
        let directory = temporaryDirectory()
        defer { _ = system("rm -rf '\(directory)'") }
        let lines = spoolLines(run: "r", count: 10) + spoolLines(run: "other", count: 3)
        try FileIO.write(lines.joined(separator: "\n"), to: directory + "/events.jsonl")  // no final newline
        let ids = (0..<10).map { AckLedger.id(runID: "r", sequence: UInt64($0)) }
        let report = try SpoolVerifier.verify(acknowledged: ids, sources: [directory + "/events.jsonl"], runPrefix: "r-")
        #expect(report.passed)
        #expect(report.linesScanned == 13)
        #expect(report.acknowledgedFound == 10)
        #expect(report.duplicatedIDs == 0)
        #expect(report.unacknowledgedPresent == 0)
    }

    @Test func verifyModeAcknowledgesEveryEventTheServerAccepted() throws {
        let server = try TestHTTPServer(style: .contentLength)
        defer { server.stop() }
        let target = try TargetURL(parsing: server.url)
        let payload = PayloadConfiguration(kind: .batchJSON, batchSize: 7, poolSize: 3, verifyRunID: "vr")
        let configuration = LoadConfiguration(
            target: target, connections: 3, threads: 2,
            plan: LoadPlan.make(rate: 200, durationNanos: 500_000_000, warmupNanos: 0), verify: true)
        let result = try LoadRunner.run(configuration: configuration, pool: try RequestPool(configuration: payload, target: target))
        #expect(result.ackedSequences.count == result.totals.eventsAccepted)
        #expect(Set(result.ackedSequences).count == result.ackedSequences.count)
        #expect(result.ackedSequences.count == server.counters.withLock { $0.events })
    }
}
