/// Segment files are named `wal-<sequence>.jsonl`, the sequence zero-padded to 16 decimal digits, so the
/// lexical order of names is their age order. Sequences only grow; a restart continues after the highest.
enum SegmentFileName {
    static let prefix = "wal-"
    static let suffix = ".jsonl"
    static let sequenceDigits = 16

    static func name(sequence: UInt64) -> String {
        let digits = String(sequence)
        let padding = String(repeating: "0", count: max(sequenceDigits - digits.count, 0))
        return prefix + padding + digits + suffix
    }

    /// The sequence in a segment file's name, or nil for any other file.
    static func sequence(fromName name: String) -> UInt64? {
        let utf8 = Array(name.utf8)
        let prefixBytes = Array(prefix.utf8)
        let suffixBytes = Array(suffix.utf8)
        guard utf8.count == prefixBytes.count + sequenceDigits + suffixBytes.count,
              utf8.starts(with: prefixBytes),
              Array(utf8.suffix(suffixBytes.count)) == suffixBytes
        else { return nil }
        var sequence: UInt64 = 0
        for byte in utf8[prefixBytes.count..<(prefixBytes.count + sequenceDigits)] {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            sequence = sequence * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        return sequence
    }
}
