import EventModel
/// One pass over a msgpack `/1/batch` body that writes every event's `data` map straight into canonical
/// JSON (one output buffer for the whole batch, no intermediate tree). Used through
/// ``HoneycombDecoder/decodeMsgPackBatch(body:dataset:keyID:receiveTimeNanos:)``, which documents the rules.
///
/// Failure handling: structural damage anywhere (truncation, a length past the end, the reserved byte
/// 0xc1, trailing bytes) throws ``Failure/malformed`` and the caller discards everything. A problem that
/// belongs to one event (invalid UTF-8, a non-string data key, nesting, size) throws ``Failure/event(_:)``
/// from deep inside the data; the event's output is rolled back and its data is skipped again
/// structurally from its start, so the rest of the batch still decodes.
struct MsgPackBatchDecoder: ~Copyable {
    enum Failure: Error {
        case malformed
        /// The JSON form of the accepted events is over ``IngestLimits/maxDecodedBodyBytes``.
        case tooLarge
        case event(DataProblem)
    }

    /// Why one event's data could not be kept.
    enum DataProblem {
        case tooDeep
        case invalidUTF8
        case keyNotString
        /// Over ``IngestLimits/maxEventBytes`` (counted before string truncation).
        case tooLarge
    }

    private let base: UnsafePointer<UInt8>
    private let end: Int
    private var position = 0
    private var output: ByteBuffer
    private let limits: IngestLimits
    private let maxDepth: Int
    private let maxStringBytes: Int
    /// Output offset where the data map being transcoded starts.
    private var dataStart = 0
    /// JSON bytes of the current data that string truncation left out (they count toward the event size).
    private var droppedBytes = 0

    private init(base: UnsafePointer<UInt8>, count: Int, limits: IngestLimits) {
        self.base = base
        end = count
        self.limits = limits
        maxDepth = HoneycombDecoder.maxEventDepth
        maxStringBytes = max(limits.maxStringValueBytes, 0)
        output = ByteBuffer(capacity: count + count / 2 + 64)
    }

    /// Decodes a whole batch. `body` must not be empty.
    static func decode(
        _ body: [UInt8], decoder: HoneycombDecoder, receiveTimeNanos: Int64
    ) throws(Failure) -> (body: [UInt8], events: [EventRecord], statuses: [EventStatus]) {
        let result: Result<(body: [UInt8], events: [EventRecord], statuses: [EventStatus]), Failure> =
            body.withUnsafeBufferPointer { input in
                guard let base = input.baseAddress else { return .failure(.malformed) }
                var reader = MsgPackBatchDecoder(base: base, count: input.count, limits: decoder.limits)
                defer { reader.output.deallocate() }
                var events: [EventRecord] = []
                var statuses: [EventStatus] = []
                do throws(Failure) {
                    let count = try reader.readArrayHeader()
                    events.reserveCapacity(count)
                    statuses.reserveCapacity(count)
                    for _ in 0..<count {
                        let outcome = try reader.readEvent(decoder: decoder, receiveTimeNanos: receiveTimeNanos)
                        switch outcome {
                        case .success(let record):
                            events.append(record)
                            statuses.append(.accepted)
                        case .failure(let rejection):
                            statuses.append(.rejected(status: HoneycombDecoder.badRequestStatus, message: rejection.message))
                        }
                        if reader.output.count > decoder.limits.maxDecodedBodyBytes { throw .tooLarge }
                    }
                    guard reader.position == reader.end else { throw .malformed }
                } catch {
                    return .failure(error)
                }
                return .success((reader.output.makeArray(spareCapacity: JSONPadding.bytes), events, statuses))
            }
        return try result.get()
    }

    // MARK: events

    private struct EventState {
        enum Data {
            case absent
            case notMap
            case map(range: Range<Int>, fieldCount: Int)
            case tooLarge(fieldCount: Int)
        }

        var data = Data.absent
        /// A problem inside data that rejects the event whatever follows (like JSON's "too deep").
        var fatalProblem: DataProblem?
        var sampleRate: Int? = 1
        var time: Int64?
    }

    private mutating func readEvent(
        decoder: HoneycombDecoder, receiveTimeNanos: Int64
    ) throws(Failure) -> Result<EventRecord, HoneycombDecoder.Rejection> {
        let eventOutputStart = output.count
        guard let fieldCount = try readMapHeaderIfMap() else {
            try skipValue()
            return .failure(.init(message: HoneycombDecoder.notObjectMessage))
        }
        var state = EventState()
        for _ in 0..<fieldCount {
            guard let (key, keyLength) = try readStringIfString() else {
                try skipValue()  // a non-string key: not one Kelpie knows, skipped with its value
                try skipValue()
                continue
            }
            if state.fatalProblem != nil {
                try skipValue()
            } else if Self.equals(key, keyLength, "data") {
                try readData(into: &state, eventOutputStart: eventOutputStart)
            } else if Self.equals(key, keyLength, "time") {
                state.time = try readTime()
            } else if Self.equals(key, keyLength, "samplerate") {
                state.sampleRate = try readSampleRate()
            } else {
                try skipValue()
            }
        }
        let outcome = Self.judge(state, decoder: decoder, receiveTimeNanos: receiveTimeNanos)
        if case .failure = outcome { output.count = eventOutputStart }
        return outcome
    }

    /// The same checks, in the same order, as the JSON path (``HoneycombDecoder``).
    private static func judge(
        _ state: EventState, decoder: HoneycombDecoder, receiveTimeNanos: Int64
    ) -> Result<EventRecord, HoneycombDecoder.Rejection> {
        typealias Rejection = HoneycombDecoder.Rejection
        if let problem = state.fatalProblem {
            switch problem {
            case .tooDeep: return .failure(Rejection(message: HoneycombDecoder.tooDeepMessage))
            case .invalidUTF8: return .failure(Rejection(message: HoneycombDecoder.invalidUTF8Message))
            case .keyNotString: return .failure(Rejection(message: HoneycombDecoder.keyNotStringMessage))
            case .tooLarge: return .failure(Rejection(message: HoneycombDecoder.eventTooLargeMessage))
            }
        }
        let fieldCount: Int
        var range = 0..<0
        var tooLarge = false
        switch state.data {
        case .absent: return .failure(Rejection(message: HoneycombDecoder.dataMissingMessage))
        case .notMap: return .failure(Rejection(message: HoneycombDecoder.dataNotObjectMessage))
        case .map(let dataRange, let count):
            range = dataRange
            fieldCount = count
        case .tooLarge(let count):
            fieldCount = count
            tooLarge = true
        }
        guard let sampleRate = state.sampleRate else {
            return .failure(Rejection(message: HoneycombDecoder.sampleRateMessage))
        }
        if let rejection = decoder.limitRejection(fieldCount: fieldCount, dataTooLarge: tooLarge) {
            return .failure(rejection)
        }
        return .success(EventRecord(
            timeUnixNanos: decoder.normalizedTime(state.time, receiveTimeNanos: receiveTimeNanos),
            sampleRate: sampleRate,
            dataRange: range))
    }

    private mutating func readData(into state: inout EventState, eventOutputStart: Int) throws(Failure) {
        output.count = eventOutputStart  // a repeated `data` key: the last one wins
        let valueStart = position
        guard let fieldCount = try readMapHeaderIfMap() else {
            try skipValue()
            state.data = .notMap
            return
        }
        dataStart = output.count
        droppedBytes = 0
        do {
            try transcodeMap(count: fieldCount, depth: 1)
            state.data = .map(range: dataStart..<output.count, fieldCount: fieldCount)
        } catch {
            guard case .event(let problem) = error else { throw error }
            output.count = eventOutputStart
            position = valueStart
            try skipValue()
            if case .tooLarge = problem {
                state.data = .tooLarge(fieldCount: fieldCount)
            } else {
                state.fatalProblem = problem
            }
        }
    }

    /// `samplerate`: nil means the event is rejected. Integers of any width and whole-number floats ≥ 0
    /// are used (0 → 1); nil → 1; anything else (negative, fractional, too large, other types) → nil.
    private mutating func readSampleRate() throws(Failure) -> Int? {
        let marker = try readByte()
        let value: Int64
        switch marker {
        case 0x00...0x7F: value = Int64(marker)
        case 0xC0: return 1
        case 0xCC...0xCF:
            let unsigned = try readBigEndian(1 << Int(marker - 0xCC))
            guard unsigned <= UInt64(Int64.max) else { return nil }
            value = Int64(unsigned)
        case 0xD0...0xD3:
            value = try readSigned(1 << Int(marker - 0xD0))
        case 0xE0...0xFF: return nil
        case 0xCA, 0xCB:
            let double = try readFloatingPoint(marker)
            guard double >= 0, double <= HoneycombDecoder.maxExactDoubleInteger,
                  double.rounded(.towardZero) == double else { return nil }
            value = Int64(double)
        default:
            position -= 1
            try skipValue()
            return nil
        }
        guard value >= 0 else { return nil }
        return value == 0 ? 1 : Int(value)
    }

    /// `time`: a timestamp extension (−1 or msgp's 5), a string or a number in ``EventTime`` formats.
    /// Anything else, or an unreadable value, is nil (the caller uses the receive time).
    private mutating func readTime() throws(Failure) -> Int64? {
        let marker = try readByte()
        switch marker {
        case 0xD4...0xD8, 0xC7...0xC9:
            let (type, payload, length) = try readExtension(marker)
            return MsgPackTimestamp(type: type, payload: payload, length: length)?.unixNanos
        case 0xA0...0xBF, 0xD9...0xDB:
            let (bytes, length) = try readStringBody(marker)
            return EventTime.parse(UnsafeRawBufferPointer(start: bytes, count: length))
        case 0x00...0x7F, 0xCC...0xCF:
            if marker <= 0x7F { return Self.parseEpochDigits(UInt64(marker)) }
            return Self.parseEpochDigits(try readBigEndian(1 << Int(marker - 0xCC)))
        case 0xD0...0xD3:
            let value = try readSigned(1 << Int(marker - 0xD0))
            return value < 0 ? nil : Self.parseEpochDigits(UInt64(value))
        case 0xCA, 0xCB:
            let double = try readFloatingPoint(marker)
            guard double.isFinite, double >= 0 else { return nil }
            var text = double.description
            return text.withUTF8 { EventTime.parse(UnsafeRawBufferPointer($0)) }
        default:
            position -= 1
            try skipValue()
            return nil
        }
    }

    /// An integer time is read as its decimal digits, by the same rule as a JSON number.
    private static func parseEpochDigits(_ value: UInt64) -> Int64? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var digits = 0
            var rest = value
            repeat {
                buffer[19 - digits] = UInt8(truncatingIfNeeded: rest % 10) &+ UInt8(ascii: "0")
                rest /= 10
                digits += 1
            } while rest > 0
            return EventTime.parse(UnsafeRawBufferPointer(start: buffer.baseAddress! + (20 - digits), count: digits))
        }
    }

    // MARK: transcoding data

    @inline(__always)
    private mutating func checkEventSize() throws(Failure) {
        if output.count - dataStart + droppedBytes > limits.maxEventBytes { throw .event(.tooLarge) }
    }

    /// Writes `{…}` for a map whose header has been read; `depth` is the map's own level (data is 1).
    private mutating func transcodeMap(count: Int, depth: Int) throws(Failure) {
        guard count <= (end - position) / 2 else { throw .malformed }
        output.append(UInt8(ascii: "{"))
        for index in 0..<count {
            guard let (key, keyLength) = try readStringIfString() else {
                try skipValue()
                throw .event(.keyNotString)
            }
            try appendKey(key, keyLength, comma: index > 0)
            try transcodeValue(depth: depth)
            try checkEventSize()
        }
        output.append(UInt8(ascii: "}"))
        try checkEventSize()
    }

    private mutating func transcodeArray(count: Int, depth: Int) throws(Failure) {
        guard count <= end - position else { throw .malformed }
        output.append(UInt8(ascii: "["))
        for index in 0..<count {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            try transcodeValue(depth: depth)
            try checkEventSize()
        }
        output.append(UInt8(ascii: "]"))
    }

    /// One value inside a container whose level is `depth`.
    private mutating func transcodeValue(depth: Int) throws(Failure) {
        let marker = try readByte()
        switch marker {
        case 0x00...0x7F:
            output.appendUInt(UInt64(marker))
        case 0x80...0x8F:
            guard depth < maxDepth else { throw .event(.tooDeep) }
            try transcodeMap(count: Int(marker & 0x0F), depth: depth + 1)
        case 0x90...0x9F:
            guard depth < maxDepth else { throw .event(.tooDeep) }
            try transcodeArray(count: Int(marker & 0x0F), depth: depth + 1)
        case 0xA0...0xBF, 0xD9...0xDB:
            let (bytes, length) = try readStringBody(marker)
            try appendQuoted(bytes, length, truncateAt: maxStringBytes)
        case 0xC0:
            output.append("null")
        case 0xC2:
            output.append("false")
        case 0xC3:
            output.append("true")
        case 0xC4...0xC6:
            let length = Int(try readBigEndian(1 << Int(marker - 0xC4)))
            appendBase64String(try take(length), length)
        case 0xC7...0xC9, 0xD4...0xD8:
            let (type, payload, length) = try readExtension(marker)
            try appendExtension(type: type, payload: payload, length: length, depth: depth)
        case 0xCA:
            appendFloat(Float(bitPattern: UInt32(try readBigEndian(4))))
        case 0xCB:
            appendDouble(Double(bitPattern: try readBigEndian(8)))
        case 0xCC...0xCF:
            output.appendUInt(try readBigEndian(1 << Int(marker - 0xCC)))
        case 0xD0...0xD3:
            output.appendInt(try readSigned(1 << Int(marker - 0xD0)))
        case 0xDC, 0xDD:
            let count = Int(try readBigEndian(marker == 0xDC ? 2 : 4))
            guard depth < maxDepth else { throw .event(.tooDeep) }
            try transcodeArray(count: count, depth: depth + 1)
        case 0xDE, 0xDF:
            let count = Int(try readBigEndian(marker == 0xDE ? 2 : 4))
            guard depth < maxDepth else { throw .event(.tooDeep) }
            try transcodeMap(count: count, depth: depth + 1)
        case 0xE0...0xFF:
            output.appendInt(Int64(Int8(bitPattern: marker)))
        default:  // 0xC1, never used
            throw .malformed
        }
    }

    /// NaN and ±infinity have no JSON form: null. Otherwise the shortest decimal that reads back as the
    /// same Float (so float32 1.5 is `1.5` and 0.1 is `0.1`, not 0.10000000149011612).
    private mutating func appendFloat(_ value: Float) {
        guard value.isFinite else { return output.append("null") }
        var text = value.description
        text.withUTF8 { output.append($0.baseAddress!, count: $0.count) }
    }

    /// Shortest round-trip decimal (Swift's `description`), null for NaN and ±infinity.
    private mutating func appendDouble(_ value: Double) {
        guard value.isFinite else { return output.append("null") }
        var text = value.description
        text.withUTF8 { output.append($0.baseAddress!, count: $0.count) }
    }

    /// Timestamps (ext −1, ext 5) as RFC3339Nano strings; any other extension as
    /// `{"$ext":<type>,"base64":"<payload>"}`.
    private mutating func appendExtension(
        type: Int8, payload: UnsafePointer<UInt8>, length: Int, depth: Int
    ) throws(Failure) {
        if let timestamp = MsgPackTimestamp(type: type, payload: payload, length: length), timestamp.isFormattable {
            let start = output.count
            output.append(UInt8(ascii: "\""))
            timestamp.appendRFC3339Nano(to: &output)
            truncateASCIIString(startingAt: start)
            output.append(UInt8(ascii: "\""))
            return
        }
        guard depth < maxDepth else { throw .event(.tooDeep) }
        output.append(#"{"$ext":"#)
        output.appendInt(Int64(type))
        output.append(#","base64":"#)
        appendBase64String(payload, length)
        output.append(UInt8(ascii: "}"))
    }

    /// After writing an ASCII string's opening quote at `start` and its contents, cuts the contents to
    /// the string limit (counting the rest as dropped).
    private mutating func truncateASCIIString(startingAt start: Int) {
        let contents = output.count - start - 1
        if contents > maxStringBytes {
            droppedBytes += contents - maxStringBytes
            output.count = start + 1 + maxStringBytes
        }
    }

    private static let base64Alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with padding (what Go's encoding/json writes for []byte), as a JSON string.
    private mutating func appendBase64String(_ bytes: UnsafePointer<UInt8>, _ length: Int) {
        let encodedLength = (length + 2) / 3 * 4
        output.reserve(encodedLength + 2)
        let start = output.count
        output.unsafeAppend(UInt8(ascii: "\""))
        Self.base64Alphabet.withUnsafeBufferPointer { alphabet in
            var index = 0
            while index + 3 <= length {
                let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                output.unsafeAppend(alphabet[Int(group >> 18)])
                output.unsafeAppend(alphabet[Int(group >> 12 & 0x3F)])
                output.unsafeAppend(alphabet[Int(group >> 6 & 0x3F)])
                output.unsafeAppend(alphabet[Int(group & 0x3F)])
                index += 3
            }
            let rest = length - index
            if rest > 0 {
                let group = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
                output.unsafeAppend(alphabet[Int(group >> 18)])
                output.unsafeAppend(alphabet[Int(group >> 12 & 0x3F)])
                output.unsafeAppend(rest == 2 ? alphabet[Int(group >> 6 & 0x3F)] : UInt8(ascii: "="))
                output.unsafeAppend(UInt8(ascii: "="))
            }
        }
        truncateASCIIString(startingAt: start)
        output.unsafeAppend(UInt8(ascii: "\""))
    }

    /// Writes a msgpack string as a JSON string: escaped, UTF-8 validated (invalid → the event is
    /// rejected), cut at a character boundary to at most `limit` UTF-8 bytes. The JSON bytes of a cut
    /// tail count toward the event size.
    @inline(__always)
    private mutating func appendQuoted(_ bytes: UnsafePointer<UInt8>, _ length: Int, truncateAt limit: Int) throws(Failure) {
        var kept = length
        if length > limit {
            kept = limit
            while kept > 0, bytes[kept] & 0xC0 == 0x80 { kept -= 1 }
        }
        output.reserve(JSONStringEscaper.reservation(forLength: kept) + 2)
        output.unsafeAppend(UInt8(ascii: "\""))
        guard JSONStringEscaper.unsafeAppendEscaped(bytes, kept, readableEnd: base + end, to: &output) else {
            throw .event(.invalidUTF8)
        }
        output.unsafeAppend(UInt8(ascii: "\""))
        if kept < length {
            guard let tail = JSONStringEscaper.escapedLength(bytes + kept, length - kept) else { throw .event(.invalidUTF8) }
            droppedBytes += tail
        }
    }

    /// Writes `[,]"key":` (keys are never cut).
    @inline(__always)
    private mutating func appendKey(_ bytes: UnsafePointer<UInt8>, _ length: Int, comma: Bool) throws(Failure) {
        output.reserve(JSONStringEscaper.reservation(forLength: length) + 4)
        if comma { output.unsafeAppend(UInt8(ascii: ",")) }
        output.unsafeAppend(UInt8(ascii: "\""))
        guard JSONStringEscaper.unsafeAppendEscaped(bytes, length, readableEnd: base + end, to: &output) else {
            throw .event(.invalidUTF8)
        }
        output.unsafeAppend(UInt8(ascii: "\""))
        output.unsafeAppend(UInt8(ascii: ":"))
    }

    // MARK: reading

    @inline(__always)
    private mutating func readByte() throws(Failure) -> UInt8 {
        guard position < end else { throw .malformed }
        let byte = base[position]
        position += 1
        return byte
    }

    @inline(__always)
    private mutating func take(_ count: Int) throws(Failure) -> UnsafePointer<UInt8> {
        guard count <= end - position else { throw .malformed }
        let start = base + position
        position += count
        return start
    }

    @inline(__always)
    private mutating func readBigEndian(_ count: Int) throws(Failure) -> UInt64 {
        let bytes = try take(count)
        var value: UInt64 = 0
        for index in 0..<count { value = value << 8 | UInt64(bytes[index]) }
        return value
    }

    /// float32 (0xca) or float64 (0xcb) as a Double.
    private mutating func readFloatingPoint(_ marker: UInt8) throws(Failure) -> Double {
        if marker == 0xCA { return Double(Float(bitPattern: UInt32(try readBigEndian(4)))) }
        return Double(bitPattern: try readBigEndian(8))
    }

    @inline(__always)
    private mutating func readSigned(_ count: Int) throws(Failure) -> Int64 {
        let unsigned = try readBigEndian(count)
        let unusedBits = UInt64(64 - count * 8)
        return Int64(bitPattern: unsigned << unusedBits) >> Int64(unusedBits)  // sign-extend
    }

    private mutating func readArrayHeader() throws(Failure) -> Int {
        let marker = try readByte()
        let count: Int
        switch marker {
        case 0x90...0x9F: count = Int(marker & 0x0F)
        case 0xDC: count = Int(try readBigEndian(2))
        case 0xDD: count = Int(try readBigEndian(4))
        default: throw .malformed
        }
        guard count <= end - position else { throw .malformed }
        return count
    }

    /// A map's entry count, or nil (nothing consumed) when the next value is not a map.
    @inline(__always)
    private mutating func readMapHeaderIfMap() throws(Failure) -> Int? {
        guard position < end else { throw .malformed }
        let marker = base[position]
        switch marker {
        case 0x80...0x8F:
            position += 1
            return Int(marker & 0x0F)
        case 0xDE, 0xDF:
            position += 1
            return Int(try readBigEndian(marker == 0xDE ? 2 : 4))
        default:
            return nil
        }
    }

    /// A string's bytes, or nil (nothing consumed) when the next value is not a string.
    @inline(__always)
    private mutating func readStringIfString() throws(Failure) -> (UnsafePointer<UInt8>, Int)? {
        guard position < end else { throw .malformed }
        let marker = base[position]
        guard (0xA0...0xBF).contains(marker) || (0xD9...0xDB).contains(marker) else { return nil }
        position += 1
        return try readStringBody(marker)
    }

    @inline(__always)
    private mutating func readStringBody(_ marker: UInt8) throws(Failure) -> (UnsafePointer<UInt8>, Int) {
        let length = marker >= 0xD9 ? Int(try readBigEndian(1 << Int(marker - 0xD9))) : Int(marker & 0x1F)
        return (try take(length), length)
    }

    /// fixext 1/2/4/8/16 (0xd4–0xd8) or ext 8/16/32 (0xc7–0xc9): type and payload.
    @inline(__always)
    private mutating func readExtension(_ marker: UInt8) throws(Failure) -> (Int8, UnsafePointer<UInt8>, Int) {
        let length = marker >= 0xD4 ? 1 << Int(marker - 0xD4) : Int(try readBigEndian(1 << Int(marker - 0xC7)))
        let type = Int8(bitPattern: try readByte())
        return (type, try take(length), length)
    }

    /// Skips one complete value of any type without recursion (any nesting depth is safe); checks every
    /// length against the bytes left.
    private mutating func skipValue() throws(Failure) {
        var pending = 1
        while pending > 0 {
            pending -= 1
            let marker = try readByte()
            switch marker {
            case 0x00...0x7F, 0xC0, 0xC2, 0xC3, 0xE0...0xFF: break
            case 0x80...0x8F: pending += 2 * Int(marker & 0x0F)
            case 0x90...0x9F: pending += Int(marker & 0x0F)
            case 0xA0...0xBF: _ = try take(Int(marker & 0x1F))
            case 0xC4...0xC6: _ = try take(Int(try readBigEndian(1 << Int(marker - 0xC4))))
            case 0xD9...0xDB: _ = try take(Int(try readBigEndian(1 << Int(marker - 0xD9))))
            case 0xC7...0xC9: _ = try take(1 + Int(try readBigEndian(1 << Int(marker - 0xC7))))
            case 0xCA, 0xD2, 0xCE: _ = try take(4)
            case 0xCB, 0xCF, 0xD3: _ = try take(8)
            case 0xCC, 0xD0: _ = try take(1)
            case 0xCD, 0xD1: _ = try take(2)
            case 0xD4...0xD8: _ = try take(1 + (1 << Int(marker - 0xD4)))
            case 0xDC, 0xDD: pending += Int(try readBigEndian(marker == 0xDC ? 2 : 4))
            case 0xDE, 0xDF: pending += 2 * Int(try readBigEndian(marker == 0xDE ? 2 : 4))
            default: throw .malformed  // 0xC1
            }
            guard pending <= end - position else { throw .malformed }
        }
    }

    private static func equals(_ bytes: UnsafePointer<UInt8>, _ length: Int, _ name: StaticString) -> Bool {
        guard length == name.utf8CodeUnitCount else { return false }
        let expected = name.utf8Start
        for index in 0..<length where bytes[index] != expected[index] { return false }
        return true
    }
}
