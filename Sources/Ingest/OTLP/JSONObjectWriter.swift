import EventModel
/// Builds flat JSON objects (one per event) into a byte buffer, writing each key at most once: a key
/// that is already in the object is refused and the caller skips its value. Callers write fields in
/// precedence order, highest first.
///
/// In recording mode (used for ``AttributeFragment``) it writes bare `"key":value` entries with no
/// braces or commas and remembers where each entry lies, so the entries can be copied into many events.
struct JSONObjectWriter {
    var out: ByteBuffer
    private var keys = FieldKeySet()
    private(set) var fieldCount = 0
    private var objectStart = 0
    let isRecording: Bool
    private(set) var entries: [AttributeFragment.Entry] = []
    private var openEntry: (start: Int, keyStart: Int, keyLength: Int, hash: UInt64)?

    init(capacity: Int, recording: Bool = false) {
        out = ByteBuffer(capacity: capacity)
        isRecording = recording
    }

    init(buffer: ByteBuffer) {
        out = buffer
        isRecording = false
    }

    func deallocate() {
        out.deallocate()
        keys.deallocate()
    }

    // MARK: objects

    mutating func beginObject() {
        keys.reset()
        fieldCount = 0
        objectStart = out.count
        if !isRecording { out.append(UInt8(ascii: "{")) }
    }

    /// Closes the object; returns its byte range.
    mutating func endObject() -> Range<Int> {
        out.append(UInt8(ascii: "}"))
        return objectStart..<out.count
    }

    /// Drops everything written since `offset` (an event that turned out too big).
    mutating func rollBack(to offset: Int) {
        out.count = offset
    }

    // MARK: keys

    /// Starts a field whose key is a literal (already valid JSON string content).
    @inline(__always)
    mutating func beginField(_ key: StaticString) -> Bool {
        beginField { out in out.append(key) }
    }

    /// Starts a field whose key is the escaped text held in `path`.
    @inline(__always)
    mutating func beginField(escapedKey path: ByteBuffer) -> Bool {
        beginField { out in out.append(path.base, count: path.count) }
    }

    /// Writes `,"` + key + `":` unless the key is already in the object; false means skip the value.
    @inline(__always)
    private mutating func beginField(_ writeKey: (inout ByteBuffer) -> Void) -> Bool {
        if isRecording { closeEntry() }  // the previous entry's value ends here
        let mark = out.count
        if !isRecording && fieldCount > 0 { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "\""))
        let keyStart = out.count
        writeKey(&out)
        let keyLength = out.count - keyStart
        let hash = FieldKeySet.hash(out.base + keyStart, count: keyLength)
        guard keys.insert(hash: hash, start: keyStart, length: keyLength, in: out) else {
            out.count = mark
            return false
        }
        out.append("\":")
        fieldCount += 1
        if isRecording { openEntry = (mark, keyStart, keyLength, hash) }
        return true
    }

    private mutating func closeEntry() {
        guard let entry = openEntry else { return }
        entries.append(AttributeFragment.Entry(
            start: entry.start, end: out.count, keyStart: entry.keyStart, keyLength: entry.keyLength, hash: entry.hash))
        openEntry = nil
    }

    /// Ends recording: the written entries become a fragment. The buffer moves into the fragment and
    /// the writer's own key table is freed, so the writer must not be used afterwards.
    mutating func finishFragment() -> AttributeFragment {
        closeEntry()
        keys.deallocate()
        return AttributeFragment(bytes: out, entries: entries)
    }

    /// Copies a fragment's entries whose keys are not in the object yet.
    mutating func append(_ fragment: AttributeFragment) {
        for entry in fragment.entries {
            let mark = out.count
            if fieldCount > 0 { out.append(UInt8(ascii: ",")) }
            let copyStart = out.count
            out.append(fragment.bytes, range: entry.start..<entry.end)
            let keyStart = copyStart + (entry.keyStart - entry.start)
            if keys.insert(hash: entry.hash, start: keyStart, length: entry.keyLength, in: out) {
                fieldCount += 1
            } else {
                out.count = mark
            }
        }
    }

    // MARK: values

    /// A JSON string value from raw UTF-8 bytes (escaped; invalid bytes become U+FFFD).
    @inline(__always)
    mutating func stringValue(_ bytes: UnsafePointer<UInt8>, count: Int) {
        out.append(UInt8(ascii: "\""))
        JSONText.appendEscaped(bytes, count: count, into: &out)
        out.append(UInt8(ascii: "\""))
    }

    mutating func stringValue(_ text: StaticString) {
        out.append(UInt8(ascii: "\""))
        out.append(text)
        out.append(UInt8(ascii: "\""))
    }

    mutating func intValue(_ value: Int64) { out.appendInt(value) }
    mutating func uintValue(_ value: UInt64) { out.appendUInt(value) }
    mutating func boolValue(_ value: Bool) { out.append(value ? "true" : "false") }
    /// Finite doubles only (check first: JSON cannot hold NaN or infinities).
    mutating func doubleValue(_ value: Double) { JSONText.appendDouble(value, into: &out) }

    /// Lowercase hex id as a string value.
    mutating func hexValue(_ bytes: UnsafePointer<UInt8>, count: Int) {
        out.append(UInt8(ascii: "\""))
        JSONText.appendHex(bytes, count: count, into: &out)
        out.append(UInt8(ascii: "\""))
    }

    // MARK: convenience fields

    mutating func field(_ key: StaticString, string bytes: UnsafePointer<UInt8>, count: Int) {
        if beginField(key) { stringValue(bytes, count: count) }
    }

    mutating func field(_ key: StaticString, literal text: StaticString) {
        if beginField(key) { stringValue(text) }
    }

    mutating func field(_ key: StaticString, int value: Int64) {
        if beginField(key) { intValue(value) }
    }

    mutating func field(_ key: StaticString, bool value: Bool) {
        if beginField(key) { boolValue(value) }
    }

    mutating func field(_ key: StaticString, double value: Double) {
        guard value.isFinite else { return }
        if beginField(key) { doubleValue(value) }
    }
}

/// Resource or scope attributes rendered once as `"key":value` entries, copied into every event of
/// that resource or scope (a hash per key is kept, so copying costs a table probe and a memcpy).
struct AttributeFragment {
    struct Entry {
        var start: Int
        var end: Int
        var keyStart: Int
        var keyLength: Int
        var hash: UInt64
    }

    var bytes: ByteBuffer
    var entries: [Entry]

    func deallocate() { bytes.deallocate() }
}
