import EventModel
import Pipeline

/// Writes events as canonical event lines, the form the relay's client takes (the WAL's:
/// `{"dataset":"…","time":"…","samplerate":N,"key_id":"","data":{…}}`), so self-telemetry reuses the relay
/// sink unchanged. The key id is empty: these events were never sent with a client key.
struct TelemetryLineEncoder {
    private let head: [UInt8]
    private let context: [UInt8]
    private let maxFieldBytes: Int

    init(dataset: String, context: DeploymentContext, maxFieldBytes: Int) {
        var head = Array("{\"dataset\":\"".utf8)
        JSONStringEscaper.appendEscaped(dataset, controls: .unicode, to: &head)
        head.append(contentsOf: "\",\"time\":\"".utf8)
        self.head = head
        self.context = context.jsonMembers()
        self.maxFieldBytes = maxFieldBytes
    }

    func block(_ events: [TelemetryEvent]) -> SinkBlock {
        var lines: [UInt8] = []
        lines.reserveCapacity(events.count * 1_024)
        for event in events { append(event, to: &lines) }
        return SinkBlock(lines: lines)
    }

    func append(_ event: TelemetryEvent, to lines: inout [UInt8]) {
        lines.append(contentsOf: head)
        EventTime.formatRFC3339Nano(event.timeUnixNanos, into: &lines)
        lines.append(contentsOf: "\",\"samplerate\":\(event.sampleRate),\"key_id\":\"\",\"data\":".utf8)
        var writer = JSONObjectWriter(appendingTo: &lines)
        switch event.body {
        case .request(let request): request.write(to: &writer, maxFieldBytes: maxFieldBytes)
        case .process(let process): process.write(to: &writer)
        }
        writer.append(members: context)
        lines = writer.finish()
        lines.append(contentsOf: "}\n".utf8)
    }
}
