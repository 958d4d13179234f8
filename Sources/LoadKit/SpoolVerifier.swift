import Glibc

/// Reads a spool directory (`*.jsonl` segment files, recursively) or any JSON-lines file, collects every
/// `kelpie_load_id` value, and compares them with the acknowledged ids (``IDTally``).
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
        var tally = IDTally(runPrefix: runPrefix)
        for file in files {
            report.filesScanned += 1
            try FileIO.forEachLine(in: file) { line in
                report.linesScanned += 1
                tally.scan(line)
            }
        }
        tally.compare(acknowledged: Set(acknowledged), into: &report)
        return report
    }

    /// Finds `"kelpie_load_id"` keys in a JSON line and yields their string values.
    static func forEachID(in line: ArraySlice<UInt8>, _ body: (String) -> Void) {
        line.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            let end = raw.count
            idKey.withUnsafeBytes { key in
                var index = 0
                // memchr/memcmp find the key without a per-byte Swift loop (spools hold millions of lines).
                while index + key.count <= end, let quote = memchr(base + index, Int32(UInt8(ascii: "\"")), end - index) {
                    let keyStart = UnsafeRawPointer(quote) - base
                    guard keyStart + key.count <= end, memcmp(base + keyStart, key.baseAddress!, key.count) == 0 else {
                        index = keyStart + 1
                        continue
                    }
                    var cursor = keyStart + key.count
                    index = cursor
                    while cursor < end && (raw[cursor] == 32 || raw[cursor] == 9) { cursor += 1 }
                    guard cursor < end, raw[cursor] == UInt8(ascii: ":") else { continue }
                    cursor += 1
                    while cursor < end && (raw[cursor] == 32 || raw[cursor] == 9) { cursor += 1 }
                    guard cursor < end, raw[cursor] == UInt8(ascii: "\"") else { continue }
                    let valueStart = cursor + 1
                    guard let quote = memchr(base + valueStart, Int32(UInt8(ascii: "\"")), end - valueStart) else { return }
                    let valueEnd = UnsafeRawPointer(quote) - base
                    body(String(decoding: UnsafeRawBufferPointer(rebasing: raw[valueStart..<valueEnd]), as: UTF8.self))
                    index = valueEnd + 1
                }
            }
        }
    }

    private static let idKey = Array("\"\(EventGenerator.verifyFieldName)\"".utf8)
}
