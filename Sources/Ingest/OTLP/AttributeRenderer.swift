import EventModel
/// What an attribute list yields besides fields: the `sampleRate`/`SampleRate` value (removed from the
/// fields, as husky does) and the resource's `service.name`.
struct AttributeCapture {
    /// Whether `sampleRate`/`SampleRate` attributes become the sample rate instead of fields.
    var takesSampleRate: Bool
    /// Rate from `sampleRate` (preferred) and from `SampleRate`.
    var preferredSampleRate: Int32?
    var alternateSampleRate: Int32?
    /// First string `service.name` attribute, as a body slice.
    var serviceName: ProtoSlice?

    init(takesSampleRate: Bool) {
        self.takesSampleRate = takesSampleRate
    }

    var sampleRate: Int32? { preferredSampleRate ?? alternateSampleRate }
}

/// Renders OTLP `KeyValue` attributes into flat JSON fields the way husky does: scalars natively,
/// kvlists flattened into `parent.child` keys down to ``OTLPLimits/maxAttributeFlattenDepth``, and
/// arrays, bytes and deeper kvlists as a JSON string in Go's `encoding/json` form with its trailing
/// newline (husky encodes them with a streaming encoder and keeps the `\n`).
struct AttributeRenderer {
    let base: UnsafePointer<UInt8>
    let limits: OTLPLimits
    /// Escaped key of the field being written (grows with `.child` while flattening).
    private var keyPath = ByteBuffer(capacity: 256)
    /// Go-JSON text of the value being stringified.
    private var scratch = ByteBuffer(capacity: 1024)
    /// Set when the value cannot be JSON-encoded (NaN or an infinity inside it); husky then stores "".
    private var jsonEncodingFailed = false

    static let sampleRateKey: StaticString = "sampleRate"
    static let alternateSampleRateKey: StaticString = "SampleRate"
    static let serviceNameKey: StaticString = "service.name"

    init(base: UnsafePointer<UInt8>, limits: OTLPLimits) {
        self.base = base
        self.limits = limits
    }

    func deallocate() {
        keyPath.deallocate()
        scratch.deallocate()
    }

    func equals(_ slice: ProtoSlice, _ text: StaticString) -> Bool {
        slice.count == text.utf8CodeUnitCount && memcmpEqual(base + slice.start, text.utf8Start, slice.count)
    }

    // MARK: attributes

    /// Every `KeyValue` (field `field`) of the message in `message` becomes fields.
    mutating func renderAttributes(
        of message: ProtoSlice, field: UInt32, into writer: inout JSONObjectWriter, capture: inout AttributeCapture
    ) throws(ProtoWireError) {
        var reader = ProtoReader(base: base, slice: message)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            if tag.field == field {
                try renderKeyValue(try reader.slice(tag), into: &writer, capture: &capture)
            } else {
                try reader.skip(tag)
            }
        }
    }

    /// One top-level attribute. Empty keys and absent values are skipped (husky).
    mutating func renderKeyValue(
        _ slice: ProtoSlice, into writer: inout JSONObjectWriter, capture: inout AttributeCapture
    ) throws(ProtoWireError) {
        let keyValue = try KeyValueSlices.read(slice, base: base)
        guard !keyValue.key.isEmpty, let valueSlice = keyValue.value, !valueSlice.isEmpty else { return }
        let value = try AnyValue.read(valueSlice, base: base)
        if capture.takesSampleRate {
            if equals(keyValue.key, Self.sampleRateKey) {
                if let rate = Self.sampleRate(of: value, base: base) {
                    capture.preferredSampleRate = rate
                    return
                }
            } else if equals(keyValue.key, Self.alternateSampleRateKey) {
                if let rate = Self.sampleRate(of: value, base: base) {
                    if capture.alternateSampleRate == nil { capture.alternateSampleRate = rate }
                    return
                }
            }
        }
        if capture.serviceName == nil, case .string(let text) = value, equals(keyValue.key, Self.serviceNameKey) {
            capture.serviceName = text
        }
        keyPath.count = 0
        JSONText.appendEscaped(base + keyValue.key.start, count: keyValue.key.count, into: &keyPath)
        try renderValue(value, depth: 0, into: &writer)
    }

    /// The log body: `body` for scalars, arrays and bytes; `body.<k>` fields for a kvlist, and then
    /// (husky's fallback when no `body` field was produced) `body` as the JSON string of the whole value.
    mutating func renderLogBody(_ slice: ProtoSlice, into writer: inout JSONObjectWriter) throws(ProtoWireError) {
        let value = try AnyValue.read(slice, base: base)
        keyPath.count = 0
        keyPath.append("body")
        try renderValue(value, depth: 0, into: &writer)
        var producedBody = true
        switch value {
        case .none: producedBody = false
        case .kvlist: producedBody = limits.maxAttributeFlattenDepth <= 0
        default: break
        }
        if !producedBody {
            keyPath.count = 0
            keyPath.append("body")
            try renderJSONStringField(value, into: &writer)
        }
    }

    private mutating func renderValue(
        _ value: AnyValue, depth: Int, into writer: inout JSONObjectWriter
    ) throws(ProtoWireError) {
        switch value {
        case .none:
            return
        case .string(let text):
            if writer.beginField(escapedKey: keyPath) { writer.stringValue(base + text.start, count: text.count) }
        case .bool(let flag):
            if writer.beginField(escapedKey: keyPath) { writer.boolValue(flag) }
        case .int(let number):
            if writer.beginField(escapedKey: keyPath) { writer.intValue(number) }
        case .double(let number):
            // JSON has no NaN or infinities; such a field is left out.
            if number.isFinite, writer.beginField(escapedKey: keyPath) { writer.doubleValue(number) }
        case .bytes, .array:
            try renderJSONStringField(value, into: &writer)
        case .kvlist(let list):
            guard depth < limits.maxAttributeFlattenDepth else {
                try renderJSONStringField(value, into: &writer)
                return
            }
            var reader = ProtoReader(base: base, slice: list)
            while !reader.isAtEnd {
                let tag = try reader.readTag()
                guard tag.field == 1 else {
                    try reader.skip(tag)
                    continue
                }
                let entry = try KeyValueSlices.read(try reader.slice(tag), base: base)
                guard !entry.key.isEmpty, let childSlice = entry.value, !childSlice.isEmpty else { continue }
                let child = try AnyValue.read(childSlice, base: base)
                let saved = keyPath.count
                keyPath.append(UInt8(ascii: "."))
                JSONText.appendEscaped(base + entry.key.start, count: entry.key.count, into: &keyPath)
                try renderValue(child, depth: depth + 1, into: &writer)
                keyPath.count = saved
            }
        }
    }

    /// The value as a string field holding its Go-JSON text plus `\n`, cut to the size limit.
    private mutating func renderJSONStringField(
        _ value: AnyValue, into writer: inout JSONObjectWriter
    ) throws(ProtoWireError) {
        scratch.count = 0
        jsonEncodingFailed = false
        try appendGoJSON(value, depth: 0)
        if jsonEncodingFailed {
            scratch.count = 0
        } else {
            scratch.append(UInt8(ascii: "\n"))
        }
        let length = JSONText.utf8BoundaryPrefix(scratch.base, count: scratch.count, limit: limits.maxJSONStringFieldBytes)
        if writer.beginField(escapedKey: keyPath) { writer.stringValue(scratch.base, count: length) }
    }

    // MARK: Go encoding/json form

    /// Appends `value` as Go's encoder writes the husky intermediate form: bytes as base64 strings,
    /// arrays without their empty elements (and `null` when nothing is left: a nil Go slice), kvlists as
    /// objects with keys sorted bytewise (Go sorts map keys; duplicate keys keep the last value).
    private mutating func appendGoJSON(_ value: AnyValue, depth: Int) throws(ProtoWireError) {
        guard depth <= limits.maxNestingDepth else { throw ProtoWireError() }
        switch value {
        case .none:
            scratch.append("null")
        case .string(let text):
            appendGoString(text)
        case .bool(let flag):
            scratch.append(flag ? "true" : "false")
        case .int(let number):
            scratch.appendInt(number)
        case .double(let number):
            if number.isFinite {
                JSONText.appendGoDouble(number, into: &scratch)
            } else {
                jsonEncodingFailed = true
            }
        case .bytes(let bytes):
            scratch.append(UInt8(ascii: "\""))
            JSONText.appendBase64(base + bytes.start, count: bytes.count, into: &scratch)
            scratch.append(UInt8(ascii: "\""))
        case .array(let list):
            var reader = ProtoReader(base: base, slice: list)
            var wroteElement = false
            while !reader.isAtEnd {
                let tag = try reader.readTag()
                guard tag.field == 1 else {
                    try reader.skip(tag)
                    continue
                }
                let element = try AnyValue.read(try reader.slice(tag), base: base)
                if case .none = element { continue }
                scratch.append(wroteElement ? UInt8(ascii: ",") : UInt8(ascii: "["))
                wroteElement = true
                try appendGoJSON(element, depth: depth + 1)
            }
            scratch.append(wroteElement ? "]" : "null")
        case .kvlist(let list):
            var entries: [KeyValueSlices] = []
            var reader = ProtoReader(base: base, slice: list)
            while !reader.isAtEnd {
                let tag = try reader.readTag()
                guard tag.field == 1 else {
                    try reader.skip(tag)
                    continue
                }
                let entry = try KeyValueSlices.read(try reader.slice(tag), base: base)
                guard !entry.key.isEmpty, let child = entry.value, !child.isEmpty else { continue }
                entries.append(entry)
            }
            let base = self.base
            // Stable sort by key bytes, then keep the last of each run of equal keys.
            let order = entries.indices.sorted { left, right in
                let comparison = compareBytes(base, entries[left].key, entries[right].key)
                return comparison != 0 ? comparison < 0 : left < right
            }
            scratch.append(UInt8(ascii: "{"))
            var wroteEntry = false
            for (position, index) in order.enumerated() {
                if position + 1 < order.count,
                   compareBytes(base, entries[index].key, entries[order[position + 1]].key) == 0 { continue }
                if wroteEntry { scratch.append(UInt8(ascii: ",")) }
                wroteEntry = true
                appendGoString(entries[index].key)
                scratch.append(UInt8(ascii: ":"))
                try appendGoJSON(try AnyValue.read(entries[index].value!, base: base), depth: depth + 1)
            }
            scratch.append(UInt8(ascii: "}"))
        }
    }

    private mutating func appendGoString(_ text: ProtoSlice) {
        scratch.append(UInt8(ascii: "\""))
        JSONText.appendEscaped(base + text.start, count: text.count, into: &scratch)
        scratch.append(UInt8(ascii: "\""))
    }

    // MARK: sample rate

    /// husky's `getSampleRateFromAnyValue`: strings are parsed as floats (unparseable → 1), numbers are
    /// rounded, values capped at Int32.max, and anything below 1 becomes 1. Other types are not rates.
    static func sampleRate(of value: AnyValue, base: UnsafePointer<UInt8>) -> Int32? {
        switch value {
        case .string(let text):
            let string = String(decoding: UnsafeBufferPointer(start: base + text.start, count: text.count), as: UTF8.self)
            guard let number = Double(string) else { return 1 }
            return sampleRate(fromDouble: number)
        case .int(let number):
            if number >= Int64(Int32.max) { return Int32.max }
            return number < 1 ? 1 : Int32(number)
        case .double(let number):
            return sampleRate(fromDouble: number)
        default:
            return nil
        }
    }

    static func sampleRate(fromDouble number: Double) -> Int32 {
        guard !number.isNaN else { return 1 }
        if number >= Double(Int32.max) { return Int32.max }
        let rounded = (number + 0.5).rounded(.towardZero)
        return rounded < 1 ? 1 : Int32(rounded)
    }
}

@inline(__always)
func memcmpEqual(_ left: UnsafePointer<UInt8>, _ right: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    for index in 0..<count where left[index] != right[index] { return false }
    return true
}

/// Bytewise comparison of two body slices (shorter prefix first), as Go compares strings.
func compareBytes(_ base: UnsafePointer<UInt8>, _ left: ProtoSlice, _ right: ProtoSlice) -> Int {
    let common = min(left.count, right.count)
    for index in 0..<common {
        let a = base[left.start + index]
        let b = base[right.start + index]
        if a != b { return a < b ? -1 : 1 }
    }
    return left.count == right.count ? 0 : (left.count < right.count ? -1 : 1)
}
