/// Reads a spool directory (`*.jsonl` segment files, recursively) or any JSON-lines file, collects every
/// `kelpie_load_id` value, and compares them with the acknowledged ids.
public enum SpoolVerifier {
    public static let spoolFileSuffixes = [".jsonl", ".ndjson"]

    public static func verify(acknowledged: [String], sources: [String], runPrefix: String? = nil)
        throws(LoadError) -> VerifyReport
    {
        var report = VerifyReport()
        var files: [String] = []
        for source in sources {
            if FileIO.isDirectory(source) {
                files += try FileIO.files(under: source, suffixes: spoolFileSuffixes)
            } else {
                files.append(source)
            }
        }
        var seen: [String: Int] = [:]
        for file in files {
            report.filesScanned += 1
            try FileIO.forEachLine(in: file) { line in
                report.linesScanned += 1
                forEachID(in: line) { id in
                    if let runPrefix, !id.hasPrefix(runPrefix) { return }
                    seen[id, default: 0] += 1
                }
            }
        }
        let ackedSet = Set(acknowledged)
        report.acknowledged = ackedSet.count
        for id in acknowledged.sorted() where ackedSet.contains(id) {
            if seen[id] == nil {
                report.missingCount += 1
                if report.missingSample.count < VerifyReport.sampleLimit { report.missingSample.append(id) }
            }
        }
        report.acknowledgedFound = report.acknowledged - report.missingCount
        for (id, count) in seen.sorted(by: { $0.key < $1.key }) {
            if count > 1 {
                report.duplicatedIDs += 1
                report.duplicateCopies += count - 1
                if report.duplicateSample.count < VerifyReport.sampleLimit { report.duplicateSample.append(id) }
            }
            if !ackedSet.contains(id) { report.unacknowledgedPresent += 1 }
        }
        return report
    }

    /// Finds `"kelpie_load_id"` keys in a JSON line and yields their string values.
    static func forEachID(in line: ArraySlice<UInt8>, _ body: (String) -> Void) {
        let key = Array("\"\(EventGenerator.verifyFieldName)\"".utf8)
        var index = line.startIndex
        let end = line.endIndex
        while index + key.count <= end {
            guard line[index] == key[0], line[index..<(index + key.count)].elementsEqual(key) else {
                index += 1
                continue
            }
            var cursor = index + key.count
            while cursor < end && (line[cursor] == 32 || line[cursor] == 9) { cursor += 1 }
            guard cursor < end, line[cursor] == UInt8(ascii: ":") else { index = cursor; continue }
            cursor += 1
            while cursor < end && (line[cursor] == 32 || line[cursor] == 9) { cursor += 1 }
            guard cursor < end, line[cursor] == UInt8(ascii: "\"") else { index = cursor; continue }
            let valueStart = cursor + 1
            var valueEnd = valueStart
            while valueEnd < end && line[valueEnd] != UInt8(ascii: "\"") { valueEnd += 1 }
            guard valueEnd < end else { return }
            body(String(decoding: line[valueStart..<valueEnd], as: UTF8.self))
            index = valueEnd + 1
        }
    }
}
