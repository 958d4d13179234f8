/// The ids of acknowledged events in verify mode, and the file format that carries them to `verify`:
/// one id per line, `<run>-<12-digit sequence>`.
public struct AckLedger: Sendable {
    public var runID: String
    public var sequences: [UInt64]

    public init(runID: String, sequences: [UInt64]) {
        self.runID = runID
        self.sequences = sequences
    }

    public static func id(runID: String, sequence: UInt64) -> String {
        var digits = String(sequence)
        let width = EventGenerator.verifySequenceDigits
        if digits.count < width { digits = String(repeating: "0", count: width - digits.count) + digits }
        return runID + "-" + digits
    }

    public var ids: [String] { sequences.sorted().map { Self.id(runID: runID, sequence: $0) } }

    public func write(to path: String) throws(LoadError) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(sequences.count * (runID.utf8.count + 14))
        for id in ids {
            bytes.append(contentsOf: id.utf8)
            bytes.append(10)
        }
        try FileIO.write(bytes, to: path)
    }

    /// Reads an acked-ids file (blank lines ignored).
    public static func readIDs(from path: String) throws(LoadError) -> [String] {
        var ids: [String] = []
        try FileIO.forEachLine(in: path) { line in
            var slice = line
            while let last = slice.last, last == 13 || last == 32 { slice = slice.dropLast() }
            if !slice.isEmpty { ids.append(String(decoding: slice, as: UTF8.self)) }
        }
        return ids
    }
}
