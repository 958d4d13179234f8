/// Turns generated events into a request body of the chosen kind.
public enum PayloadEncoder {
    public static func encode(_ events: [GeneratedEvent], kind: PayloadKind, dataset: String) -> EncodedPayload {
        var body: [UInt8] = []
        var offsets: [Int] = []
        switch kind {
        case .singleJSON:
            for event in events.prefix(1) { JSONWriter.appendObject(event.fields, to: &body, idDigitOffsets: &offsets) }
            return EncodedPayload(body: body, eventCount: min(1, events.count), idDigitOffsets: offsets)
        case .batchJSON:
            body.reserveCapacity(events.count * 512)
            body.append(UInt8(ascii: "["))
            for (index, event) in events.enumerated() {
                if index > 0 { body.append(UInt8(ascii: ",")) }
                body.append(contentsOf: #"{"time":""#.utf8)
                body.append(contentsOf: RFC3339.format(unixNanos: event.timeUnixNanos).utf8)
                body.append(contentsOf: #"","samplerate":1,"data":"#.utf8)
                JSONWriter.appendObject(event.fields, to: &body, idDigitOffsets: &offsets)
                body.append(UInt8(ascii: "}"))
            }
            body.append(UInt8(ascii: "]"))
        case .batchMsgPack:
            MsgPackWriter.appendArrayHeader(events.count, to: &body)
            for event in events {
                MsgPackWriter.appendMapHeader(3, to: &body)
                MsgPackWriter.appendString("data", to: &body)
                MsgPackWriter.appendObject(event.fields, to: &body, idDigitOffsets: &offsets)
                MsgPackWriter.appendString("samplerate", to: &body)
                MsgPackWriter.appendUInt(1, to: &body)
                MsgPackWriter.appendString("time", to: &body)
                MsgPackWriter.appendTimestamp(unixNanos: event.timeUnixNanos, to: &body)
            }
        case .otlpTraces:
            body = OTLPTraceEncoder.encode(events, serviceName: dataset, idDigitOffsets: &offsets)
        }
        return EncodedPayload(body: body, eventCount: events.count, idDigitOffsets: offsets)
    }
}
