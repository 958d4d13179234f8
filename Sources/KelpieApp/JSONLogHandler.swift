import EventModel
import HTTPServer
public import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Writes one JSON object per log line to standard output (`ts`, `level`, `msg`, `logger`, then the
/// metadata as string fields), the shape log collectors in Kubernetes parse without configuration.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level
    private let label: String
    private let fileDescriptor: Int32

    public init(label: String, level: Logger.Level = .info, fileDescriptor: Int32 = 1) {
        self.label = label
        self.logLevel = level
        self.fileDescriptor = fileDescriptor
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        line.append(contentsOf: #"{"ts":""#.utf8)
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        EventTime.formatRFC3339Nano(Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec), into: &line)
        appendField("level", event.level.rawValue, to: &line)
        appendField("msg", event.message.description, to: &line)
        appendField("logger", label, to: &line)
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let callSite = event.metadata { merged.merge(callSite) { _, new in new } }
        if let error = event.error { merged["error"] = "\(error)" }
        for key in merged.keys.sorted() {
            appendField(key, "\(merged[key]!)", to: &line)
        }
        line.append(contentsOf: "\"}\n".utf8)
        line.withUnsafeBytes { FileDescriptorOutput.writeAll($0, to: fileDescriptor) }
    }

    private func appendField(_ key: String, _ value: String, to line: inout [UInt8]) {
        line.append(contentsOf: #"",""#.utf8)
        JSONStringEscaper.appendEscaped(key, to: &line)
        line.append(contentsOf: #"":""#.utf8)
        JSONStringEscaper.appendEscaped(value, to: &line)
    }
}
