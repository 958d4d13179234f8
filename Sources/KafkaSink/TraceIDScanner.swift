/// Finds `trace.trace_id` in a canonical event line for `--kafka-key trace`, without parsing the JSON: the
/// first `"trace.trace_id":"…"` pair whose value has no escapes. Kelpie's OTLP mapping and libhoney's tracing
/// helpers write it as a plain hex string; any other form falls back to the dataset key.
enum TraceIDScanner {
    private static let needle = Array(#""trace.trace_id":""#.utf8)

    static func traceID(in line: ArraySlice<UInt8>) -> String? {
        guard line.count > needle.count else { return nil }
        var start = line.startIndex
        let last = line.endIndex - needle.count
        while start <= last {
            if line[start] == needle[0] && line[start..<(start + needle.count)].elementsEqual(needle) {
                let valueStart = start + needle.count
                var end = valueStart
                while end < line.endIndex, line[end] != UInt8(ascii: "\""), line[end] != UInt8(ascii: "\\") { end += 1 }
                guard end < line.endIndex, line[end] == UInt8(ascii: "\""), end > valueStart else { return nil }
                return String(decoding: line[valueStart..<end], as: UTF8.self)
            }
            start += 1
        }
        return nil
    }
}
