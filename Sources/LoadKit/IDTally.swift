/// Counts the `kelpie_load_id` values seen in stored events (spool lines or Kafka record values) and
/// compares them with the acknowledged ids: the part of `verify` that does not care where events are stored.
public struct IDTally: Sendable {
    /// Only ids with this prefix count (the run id and "-"); nil counts every id.
    public let runPrefix: String?
    private(set) var counts: [String: Int] = [:]

    public init(runPrefix: String? = nil) {
        self.runPrefix = runPrefix
    }

    /// Counts every id in `bytes`: one spool line, or a Kafka record value that may hold several
    /// newline-delimited events (`--kafka-batch-events`).
    public mutating func scan(_ bytes: ArraySlice<UInt8>) {
        SpoolVerifier.forEachID(in: bytes) { id in
            if let runPrefix, !id.hasPrefix(runPrefix) { return }
            counts[id, default: 0] += 1
        }
    }

    /// How many of `acknowledged` have not been seen yet.
    public func missingCount(of acknowledged: Set<String>) -> Int {
        var missing = 0
        for id in acknowledged where counts[id] == nil { missing += 1 }
        return missing
    }

    /// Fills the comparison fields of `report` (the caller sets what was scanned).
    public func compare(acknowledged ackedSet: Set<String>, into report: inout VerifyReport) {
        report.acknowledged = ackedSet.count
        // Only the (usually few) missing and duplicated ids are sorted, for stable samples: sorting every id
        // dominated the run time on large spools.
        var missing: [String] = []
        for id in ackedSet where counts[id] == nil { missing.append(id) }
        report.missingCount = missing.count
        report.missingSample = Array(missing.sorted().prefix(VerifyReport.sampleLimit))
        report.acknowledgedFound = report.acknowledged - report.missingCount
        var duplicated: [String] = []
        for (id, count) in counts {
            if count > 1 {
                duplicated.append(id)
                report.duplicateCopies += count - 1
            }
            if !ackedSet.contains(id) { report.unacknowledgedPresent += 1 }
        }
        report.duplicatedIDs = duplicated.count
        report.duplicateSample = Array(duplicated.sorted().prefix(VerifyReport.sampleLimit))
    }
}
