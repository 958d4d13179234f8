public import EventModel
internal import CSimdJSON

/// Decodes Honeycomb Events API JSON bodies (`/1/batch/{dataset}` and `/1/events/{dataset}`) into an
/// ``EventBatch`` whose records point into the body itself (no per-event copies).
///
/// Whole request (``IngestError``):
/// - Empty or whitespace-only body: `.emptyBody` (400 "Request body should not be empty.").
/// - Body over ``IngestLimits/maxDecodedBodyBytes``: `.tooLarge` (413).
/// - Anything that is not valid JSON anywhere in the body: `.malformed` (400), no event accepted.
///   This covers syntax errors, truncation, trailing content after the root, invalid UTF-8, invalid
///   escapes and unpaired `\u` surrogates, control characters inside strings, and bad literals
///   (`tru`), also inside keys that Kelpie otherwise ignores. Numbers are checked against the JSON
///   grammar only, so big integers (9007199254740993, or beyond 64 bits) pass through byte for byte.
/// - A batch whose root is not an array, or a single event whose root is not an object: `.malformed`.
/// - `[]`: accepted, no events, no statuses (Honeycomb answers `[]`).
///
/// Per batch element (one ``EventStatus`` each, in order; good elements are kept when others fail):
/// - Not an object: 400 "event must be a JSON object".
/// - No `data` key: 400 "event has no data object"; `data` not an object (null included): 400
///   "event data must be a JSON object"; `data` is `{}`: 400 "empty event data" (Refinery's text).
/// - Containers nested more than ``maxEventDepth`` levels inside the event (data is level 1):
///   400 "event data is nested too deeply".
/// - `time`: a string in any ``EventTime`` format, or a JSON number read by the same rules (epoch
///   digits, float seconds). Absent, null, another type, unparseable, before 1970 or year 0001, or more
///   than ``IngestLimits/maxFutureSkewNanos`` after the receive time: the receive time. Never an error.
/// - `samplerate`: absent, null or 0 → 1. A positive integer is used as is; a number with a fraction
///   or exponent is accepted when its value is a whole number (`5.0`). Negative, fractional (`2.5`),
///   too large for Int64, or not a number (string, bool, array, object): 400 "samplerate must be a
///   non-negative integer".
/// - Other keys are validated as JSON and ignored. When a key repeats, the last occurrence wins.
/// - Limits (``IngestLimits``), checked after the rules above, in this order: more than
///   ``IngestLimits/maxFieldsPerEvent`` top-level data fields: 400 "Event has too many columns."
///   (Honeycomb's text); a data object over ``IngestLimits/maxEventBytes`` (its bytes as sent): 400
///   "Event is too large." (Kelpie's text; Honeycomb's is not documented). String values longer than
///   ``IngestLimits/maxStringValueBytes`` UTF-8 bytes are cut at a character boundary, not rejected; only
///   such an event's data is rebuilt (appended to the returned body, its `dataRange` pointing there).
///
/// msgpack batches: see ``decodeMsgPackBatch(body:dataset:keyID:receiveTimeNanos:)``; same rules and texts.
///
/// `/1/events`: the body is the data object; `{}` is `.emptyBody` and nesting deeper than
/// ``maxEventDepth`` is `.malformed`; too many fields is `.tooManyFields` and a body over
/// ``IngestLimits/maxEventBytes`` is `.eventTooLarge` (whole-request errors, since there is no per-event
/// status, with the per-event texts); long strings are cut as in a batch.
/// `X-Honeycomb-Event-Time` is parsed like `time` above
/// (missing or unparseable → receive time); `X-Honeycomb-Samplerate` is a decimal integer, and anything
/// unparseable or below 1 becomes 1, as Refinery does.
///
/// The returned ``EventBatch/body`` is the request body itself (shared storage, no copy) when its
/// capacity leaves simdjson's padding after the bytes (``ContentDecoder`` output always does); otherwise
/// the body is copied once into a padded buffer.
public struct HoneycombDecoder: Sendable {
    public var limits: IngestLimits

    /// Deepest container nesting inside one event (its data object is level 1).
    public static let maxEventDepth = kelpie_sj_max_depth()

    static let notObjectMessage = "event must be a JSON object"
    static let dataMissingMessage = "event has no data object"
    static let dataNotObjectMessage = "event data must be a JSON object"
    static let emptyDataMessage = "empty event data"
    static let tooDeepMessage = "event data is nested too deeply"
    static let sampleRateMessage = "samplerate must be a non-negative integer"
    static let tooManyFieldsMessage = "Event has too many columns."
    static let eventTooLargeMessage = "Event is too large."
    static let keyNotStringMessage = "event data keys must be strings"
    static let invalidUTF8Message = "event data must be valid UTF-8"
    static let badRequestStatus = 400
    /// Largest integer a Double holds exactly; whole-number doubles above it are rejected as sample rates.
    static let maxExactDoubleInteger = 9_007_199_254_740_992.0

    public init(limits: IngestLimits = .init()) {
        self.limits = limits
    }

    /// Undoes `Content-Encoding` with this decoder's size limit; maps failures to ``IngestError``
    /// (unknown encoding → `.unsupportedContentEncoding`, over the limit → `.tooLarge`, corrupt → `.malformed`).
    public func decodeContent(_ body: [UInt8], contentEncoding: String?) throws(IngestError) -> [UInt8] {
        guard let encoding = ContentEncoding(headerValue: contentEncoding) else { throw .unsupportedContentEncoding }
        do {
            return try ContentDecoder.decode(body, encoding: encoding, maxDecodedBytes: limits.maxDecodedBodyBytes)
        } catch {
            switch error {
            case .tooLarge: throw .tooLarge
            case .malformed: throw .malformed
            }
        }
    }

    /// `/1/batch`: `body` is the decoded body (ideally with padding capacity); `receiveTimeNanos` is the
    /// server's receive time in Unix nanoseconds.
    public func decodeBatch(
        body: [UInt8], dataset: String, keyID: String, receiveTimeNanos: Int64
    ) throws(IngestError) -> DecodedRequest {
        var body = try checkedPaddedBody(body)
        var records: [EventRecord] = []
        var statuses: [EventStatus] = []
        var recordsWithLongStrings: [Int] = []
        let maxStringBytes = max(limits.maxStringValueBytes, 0)
        let capacity = body.capacity
        let outcome: Int32 = body.withUnsafeBufferPointer { input in
            var events: UnsafePointer<kelpie_sj_event>?
            var eventCount = 0
            var simdjsonError: Int32 = 0
            let outcome = kelpie_sj_parse_batch(
                input.baseAddress, input.count, capacity, &events, &eventCount, &simdjsonError)
            guard outcome == KELPIE_SJ_DOC_OK, let events else { return outcome }
            // Results (and time strings) live in thread-owned memory: read them before anything else parses.
            records.reserveCapacity(eventCount)
            statuses.reserveCapacity(eventCount)
            for index in 0..<eventCount {
                switch record(for: events[index], receiveTimeNanos: receiveTimeNanos) {
                case .success(let record):
                    if events[index].data_max_string_length > maxStringBytes { recordsWithLongStrings.append(records.count) }
                    records.append(record)
                    statuses.append(.accepted)
                case .failure(let rejection):
                    statuses.append(.rejected(status: Self.badRequestStatus, message: rejection.message))
                }
            }
            return outcome
        }
        guard outcome == KELPIE_SJ_DOC_OK else { throw .malformed }
        for index in recordsWithLongStrings {
            records[index].dataRange = Self.truncatingLongStrings(in: &body, range: records[index].dataRange, limit: maxStringBytes)
        }
        return DecodedRequest(
            batch: EventBatch(dataset: dataset, keyID: keyID, body: body, events: records),
            statuses: statuses)
    }

    /// `/1/events`: `body` is one JSON object, the event's data.
    public func decodeSingle(
        body: [UInt8], dataset: String, keyID: String, eventTimeHeader: String?, sampleRateHeader: String?,
        receiveTimeNanos: Int64
    ) throws(IngestError) -> EventBatch {
        var body = try checkedPaddedBody(body)
        let capacity = body.capacity
        var event = kelpie_sj_event()
        let outcome = body.withUnsafeBufferPointer { input in
            var simdjsonError: Int32 = 0
            return kelpie_sj_parse_object(input.baseAddress, input.count, capacity, &event, &simdjsonError)
        }
        guard outcome == KELPIE_SJ_DOC_OK else { throw .malformed }
        if event.status == KELPIE_SJ_EVENT_TOO_DEEP { throw .malformed }
        guard event.data_field_count > 0 else { throw .emptyBody }
        guard event.data_field_count <= limits.maxFieldsPerEvent else { throw .tooManyFields }
        guard event.data_length <= limits.maxEventBytes else { throw .eventTooLarge }
        let time = eventTimeHeader.flatMap(EventTime.parse)
        var record = EventRecord(
            timeUnixNanos: normalizedTime(time, receiveTimeNanos: receiveTimeNanos),
            sampleRate: Self.sampleRate(header: sampleRateHeader),
            dataRange: event.data_offset..<(event.data_offset + event.data_length))
        let maxStringBytes = max(limits.maxStringValueBytes, 0)
        if event.data_max_string_length > maxStringBytes {
            record.dataRange = Self.truncatingLongStrings(in: &body, range: record.dataRange, limit: maxStringBytes)
        }
        return EventBatch(dataset: dataset, keyID: keyID, body: body, events: [record])
    }

    /// `/1/batch` with `Content-Type: application/msgpack` (or `application/x-msgpack`): `body` is the
    /// decoded body. Read in one streaming pass (no intermediate tree); every accepted event's `data` is
    /// written as compact canonical JSON into one new buffer, the returned ``EventBatch/body``.
    ///
    /// Whole request (``IngestError``): an empty body is `.emptyBody`; over
    /// ``IngestLimits/maxDecodedBodyBytes`` (the body, or the JSON the accepted events become) is
    /// `.tooLarge`; a root that is not an array (fixarray, array16, array32), truncation anywhere, a length
    /// running past the end, the never-used byte 0xc1 or bytes after the array are `.malformed`, and no
    /// event is accepted.
    ///
    /// Each element is a map whose keys may come in any order; unknown keys (and non-string keys) are
    /// skipped, and a repeated key's last occurrence wins. Per element, in the JSON path's order and with
    /// its texts: not a map → "event must be a JSON object"; a problem inside `data` (below) → its text;
    /// no `data` → "event has no data object"; `data` not a map (nil included) → "event data must be a
    /// JSON object"; bad samplerate → "samplerate must be a non-negative integer"; `{}` → "empty event
    /// data"; then the limits ("Event has too many columns.", "Event is too large.", strings cut).
    ///
    /// - `samplerate`: any int or uint width, or a float32/float64 holding a whole number; 0 or nil → 1.
    ///   Negative, fractional, above Int64 (or above 2^53 for floats), or another type → rejected.
    /// - `time`: the timestamp extension −1 (4-byte seconds; 8-byte 30-bit nanoseconds + 34-bit seconds;
    ///   12-byte uint32 nanoseconds + int64 seconds), msgp's extension 5 (int64 seconds + uint32
    ///   nanoseconds, as Refinery accepts), or a string or number read by ``EventTime`` rules (an integer
    ///   is read as its decimal digits, like a JSON number). Missing, another type, unparseable, before
    ///   1970 (Go's zero time included) or more than ``IngestLimits/maxFutureSkewNanos`` ahead → the
    ///   receive time.
    /// - `data` values become JSON: nil → `null`; bool; every integer width exactly (uint64 above Int64.max
    ///   too); float64 as its shortest round-trip decimal (Swift's `description`), float32 as the shortest
    ///   decimal that reads back as the same Float (`1.5`, `0.1`); NaN and ±infinity → `null` (JSON has
    ///   none); strings escaped (`"`, `\`, control characters), invalid UTF-8 (in values or keys) → the
    ///   event is rejected with "event data must be valid UTF-8"; bin 8/16/32 → a standard base64 string
    ///   with padding, exactly what libhoney-go's JSON encoding writes for a `[]byte`, so JSON and msgpack
    ///   senders store the same data; timestamp extensions (−1, 5) → RFC3339Nano strings in UTC
    ///   (years 0001–9999); any other extension → `{"$ext":<type>,"base64":"<payload>"}`; maps and arrays
    ///   recursively, at most ``maxEventDepth`` levels (data is level 1; deeper → "event data is nested
    ///   too deeply"). Keys must be strings ("event data keys must be strings").
    ///
    /// When an event breaks several rules, which one is reported can differ from the JSON path (the
    /// transcoder stops at the first problem inside `data`); each rule on its own gives the same text.
    public func decodeMsgPackBatch(
        body: [UInt8], dataset: String, keyID: String, receiveTimeNanos: Int64
    ) throws(IngestError) -> DecodedRequest {
        guard body.count <= limits.maxDecodedBodyBytes else { throw .tooLarge }
        guard !body.isEmpty else { throw .emptyBody }
        do {
            let decoded = try MsgPackBatchDecoder.decode(body, decoder: self, receiveTimeNanos: receiveTimeNanos)
            return DecodedRequest(
                batch: EventBatch(dataset: dataset, keyID: keyID, body: decoded.body, events: decoded.events),
                statuses: decoded.statuses)
        } catch {
            switch error {
            case .malformed, .event: throw .malformed
            case .tooLarge: throw .tooLarge
            }
        }
    }

    // MARK: helpers

    /// Checks emptiness and size, and makes sure simdjson can read its padding past the bytes.
    private func checkedPaddedBody(_ body: [UInt8]) throws(IngestError) -> [UInt8] {
        guard body.count <= limits.maxDecodedBodyBytes else { throw .tooLarge }
        guard body.contains(where: { !Self.isJSONWhitespace($0) }) else { throw .emptyBody }
        return JSONPadding.padded(body)
    }

    /// Rebuilds one event's data with long strings cut, appended to `body`; returns where the data now is
    /// (the old range when no string value was actually over the limit after unescaping).
    private static func truncatingLongStrings(in body: inout [UInt8], range: Range<Int>, limit: Int) -> Range<Int> {
        let rebuilt = body.withUnsafeBufferPointer { buffer in
            JSONStringTruncator.truncated(UnsafeBufferPointer(rebasing: buffer[range]), limit: limit)
        }
        guard let rebuilt else { return range }
        let start = body.count
        body.append(contentsOf: rebuilt)
        return start..<body.count
    }

    struct Rejection: Error {
        let message: String
    }

    /// The limit checks shared by the JSON and msgpack paths, after the shape and samplerate checks.
    func limitRejection(fieldCount: Int, dataTooLarge: Bool) -> Rejection? {
        if fieldCount == 0 { return Rejection(message: Self.emptyDataMessage) }
        if fieldCount > limits.maxFieldsPerEvent { return Rejection(message: Self.tooManyFieldsMessage) }
        if dataTooLarge { return Rejection(message: Self.eventTooLargeMessage) }
        return nil
    }

    private func record(for event: kelpie_sj_event, receiveTimeNanos: Int64) -> Result<EventRecord, Rejection> {
        switch event.status {
        case KELPIE_SJ_EVENT_OK: break
        case KELPIE_SJ_EVENT_NOT_OBJECT: return .failure(Rejection(message: Self.notObjectMessage))
        case KELPIE_SJ_EVENT_DATA_MISSING: return .failure(Rejection(message: Self.dataMissingMessage))
        case KELPIE_SJ_EVENT_DATA_NOT_OBJECT: return .failure(Rejection(message: Self.dataNotObjectMessage))
        default: return .failure(Rejection(message: Self.tooDeepMessage))
        }
        guard let sampleRate = Self.sampleRate(event) else { return .failure(Rejection(message: Self.sampleRateMessage)) }
        if let rejection = limitRejection(
            fieldCount: Int(event.data_field_count), dataTooLarge: event.data_length > limits.maxEventBytes
        ) {
            return .failure(rejection)
        }
        var time: Int64?
        if event.time_kind == KELPIE_SJ_TIME_STRING || event.time_kind == KELPIE_SJ_TIME_NUMBER {
            time = EventTime.parse(UnsafeRawBufferPointer(start: event.time_bytes, count: event.time_length))
        }
        return .success(EventRecord(
            timeUnixNanos: normalizedTime(time, receiveTimeNanos: receiveTimeNanos),
            sampleRate: sampleRate,
            dataRange: event.data_offset..<(event.data_offset + event.data_length)))
    }

    func normalizedTime(_ time: Int64?, receiveTimeNanos: Int64) -> Int64 {
        guard let time else { return receiveTimeNanos }
        let (latest, overflow) = receiveTimeNanos.addingReportingOverflow(limits.maxFutureSkewNanos)
        if !overflow && time > latest { return receiveTimeNanos }
        return time
    }

    /// The batch `samplerate` rules; nil means the element is rejected.
    private static func sampleRate(_ event: kelpie_sj_event) -> Int? {
        switch event.samplerate_kind {
        case KELPIE_SJ_SAMPLERATE_ABSENT, KELPIE_SJ_SAMPLERATE_NULL:
            return 1
        case KELPIE_SJ_SAMPLERATE_INTEGER:
            let value = event.samplerate_integer
            guard value >= 0 else { return nil }
            return value == 0 ? 1 : Int(value)
        case KELPIE_SJ_SAMPLERATE_DOUBLE:
            let value = event.samplerate_double
            guard value >= 0, value <= maxExactDoubleInteger, value.rounded(.towardZero) == value else { return nil }
            return value == 0 ? 1 : Int(value)
        default:
            return nil
        }
    }

    /// `X-Honeycomb-Samplerate`: a decimal integer; missing, unparseable or below 1 → 1.
    static func sampleRate(header: String?) -> Int {
        guard let header else { return 1 }
        var text = Substring(header)
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        guard let value = Int(text), value >= 1 else { return 1 }
        return value
    }

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
