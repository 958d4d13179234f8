/// What `verify` found: acknowledged events missing from the spool or the Kafka topics, and events present
/// more than once.
public struct VerifyReport: Sendable, Equatable {
    public static let sampleLimit = 20

    public var filesScanned = 0
    /// Kafka topics read (with `filesScanned` 0).
    public var topicsScanned = 0
    /// Spool lines, or Kafka records (one record may hold several events with `--kafka-batch-events`).
    public var linesScanned = 0
    public var acknowledged = 0
    /// Acknowledged ids found at least once.
    public var acknowledgedFound = 0
    public var missingCount = 0
    public var missingSample: [String] = []
    /// Ids (acknowledged or not) that appear more than once; `duplicateCopies` counts the extra copies.
    public var duplicatedIDs = 0
    public var duplicateCopies = 0
    public var duplicateSample: [String] = []
    /// Ids of this run present in the spool but never acknowledged (allowed: e.g. a reply lost to a timeout).
    public var unacknowledgedPresent = 0

    public init() {}

    public var passed: Bool { missingCount == 0 }

    public var text: String {
        var out = topicsScanned > 0
            ? "verify: read \(topicsScanned) Kafka topic(s), \(linesScanned) records\n"
            : "verify: scanned \(filesScanned) file(s), \(linesScanned) lines\n"
        out += "  acknowledged \(acknowledged), found \(acknowledgedFound), missing \(missingCount)\n"
        out += "  duplicated ids \(duplicatedIDs) (extra copies \(duplicateCopies)), present but unacknowledged \(unacknowledgedPresent)\n"
        if !missingSample.isEmpty { out += "  missing (first \(missingSample.count)): \(missingSample.joined(separator: " "))\n" }
        if !duplicateSample.isEmpty { out += "  duplicated (first \(duplicateSample.count)): \(duplicateSample.joined(separator: " "))\n" }
        out += passed ? "verify: OK, every acknowledged event is present\n" : "verify: FAILED, acknowledged events are missing\n"
        return out
    }

    public var json: String {
        ResultFormatter.object([
            ("files_scanned", String(filesScanned)), ("topics_scanned", String(topicsScanned)), ("lines_scanned", String(linesScanned)),
            ("acknowledged", String(acknowledged)), ("acknowledged_found", String(acknowledgedFound)),
            ("missing", String(missingCount)),
            ("missing_sample", "[" + missingSample.map(ResultFormatter.quote).joined(separator: ",") + "]"),
            ("duplicated_ids", String(duplicatedIDs)), ("duplicate_copies", String(duplicateCopies)),
            ("duplicate_sample", "[" + duplicateSample.map(ResultFormatter.quote).joined(separator: ",") + "]"),
            ("unacknowledged_present", String(unacknowledgedPresent)), ("passed", passed ? "true" : "false"),
        ])
    }
}
