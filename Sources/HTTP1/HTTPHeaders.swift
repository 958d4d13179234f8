/// The header fields of one request, in wire order, duplicates kept.
///
/// Storage is a single `[UInt8]`: a copy of the request head followed by a table of field offsets
/// (four `UInt32` per field: name start/end, value start/end). Parsing a head therefore costs one
/// allocation for all headers, and no `String` exists until a caller asks for one.
/// Name lookups are ASCII case-insensitive; values are returned with surrounding whitespace trimmed.
public struct HTTPHeaders: Sendable, Sequence, Equatable, CustomStringConvertible {
    /// Head bytes, then the field table at `tableOffset`.
    @usableFromInline let storage: [UInt8]
    @usableFromInline let tableOffset: Int
    /// Number of header fields (duplicates counted separately).
    public let count: Int

    @usableFromInline static var tableEntryBytes: Int { 16 }

    public var isEmpty: Bool { count == 0 }

    public init() {
        self.storage = []
        self.tableOffset = 0
        self.count = 0
    }

    /// Headers built from name/value pairs, for tests and for code that synthesizes a request.
    /// Names and values are stored as given (no validation).
    public init(_ fields: [(String, String)]) {
        var bytes: [UInt8] = []
        var ranges: [FieldRange] = []
        ranges.reserveCapacity(fields.count)
        for (name, value) in fields {
            let nameStart = bytes.count
            bytes.append(contentsOf: name.utf8)
            let valueStart = bytes.count
            bytes.append(contentsOf: value.utf8)
            ranges.append(FieldRange(
                nameStart: UInt32(truncatingIfNeeded: nameStart), nameEnd: UInt32(truncatingIfNeeded: valueStart),
                valueStart: UInt32(truncatingIfNeeded: valueStart), valueEnd: UInt32(truncatingIfNeeded: bytes.count)
            ))
        }
        self = bytes.withUnsafeBytes { HTTPHeaders(copyingHead: $0, fields: ranges) }
    }

    /// Copies `head` and the field table into one fresh array. `fields` offsets index into `head`.
    init(copyingHead head: UnsafeRawBufferPointer, fields: [FieldRange]) {
        let tableOffset = (head.count + 3) & ~3
        let total = tableOffset + fields.count * Self.tableEntryBytes
        self.storage = [UInt8](unsafeUninitializedCapacity: total) { buffer, initializedCount in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            if head.count > 0 {
                raw.baseAddress!.copyMemory(from: head.baseAddress!, byteCount: head.count)
            }
            for padding in head.count..<tableOffset {
                raw[padding] = 0
            }
            var entry = tableOffset
            for field in fields {
                raw.storeBytes(of: field.nameStart, toByteOffset: entry, as: UInt32.self)
                raw.storeBytes(of: field.nameEnd, toByteOffset: entry + 4, as: UInt32.self)
                raw.storeBytes(of: field.valueStart, toByteOffset: entry + 8, as: UInt32.self)
                raw.storeBytes(of: field.valueEnd, toByteOffset: entry + 12, as: UInt32.self)
                entry += Self.tableEntryBytes
            }
            initializedCount = total
        }
        self.tableOffset = tableOffset
        self.count = fields.count
    }

    // MARK: lookup

    /// The first value of the field `name` (ASCII case-insensitive), or nil.
    @inlinable
    public subscript(_ name: String) -> String? {
        first(name)
    }

    /// The first value of the field `name` (ASCII case-insensitive), or nil. Same as the subscript;
    /// returns a fresh `String` (not a `Substring`) so the result does not keep the head alive.
    @inlinable
    public func first(_ name: String) -> String? {
        withValueBytes(name) { bytes in bytes.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// Every value of the field `name`, in wire order. Values are not split on commas.
    @inlinable
    public func values(_ name: String) -> [String] {
        var result: [String] = []
        forEachValue(named: name) { bytes in
            result.append(String(decoding: bytes, as: UTF8.self))
            return true
        }
        return result
    }

    @inlinable
    public func contains(_ name: String) -> Bool {
        withValueBytes(name) { $0 != nil }
    }

    /// Zero-copy access to the first value of `name`: `body` gets its bytes (valid only during the
    /// call), or nil when the field is absent.
    @inlinable
    public func withValueBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
        var found: R?
        forEachValue(named: name) { bytes in
            found = body(bytes)
            return false
        }
        return found ?? body(nil)
    }

    /// Calls `body` with the bytes of each value of `name` in wire order until it returns false.
    @inlinable
    func forEachValue(named name: String, _ body: (UnsafeRawBufferPointer) -> Bool) {
        guard count > 0 else { return }
        var name = name
        name.withUTF8 { query in
            storage.withUnsafeBytes { raw in
                var entry = tableOffset
                for _ in 0..<count {
                    let nameStart = Int(raw.loadUnaligned(fromByteOffset: entry, as: UInt32.self))
                    let nameEnd = Int(raw.loadUnaligned(fromByteOffset: entry + 4, as: UInt32.self))
                    if nameEnd - nameStart == query.count && Self.namesMatch(raw, nameStart, query) {
                        let valueStart = Int(raw.loadUnaligned(fromByteOffset: entry + 8, as: UInt32.self))
                        let valueEnd = Int(raw.loadUnaligned(fromByteOffset: entry + 12, as: UInt32.self))
                        if !body(UnsafeRawBufferPointer(rebasing: raw[valueStart..<valueEnd])) { return }
                    }
                    entry += Self.tableEntryBytes
                }
            }
        }
    }

    @inlinable
    static func namesMatch(_ raw: UnsafeRawBufferPointer, _ start: Int, _ query: UnsafeBufferPointer<UInt8>) -> Bool {
        for index in 0..<query.count
        where ByteScan.asciiLowercased(raw[start + index]) != ByteScan.asciiLowercased(query[index]) {
            return false
        }
        return true
    }

    // MARK: positional access

    /// The name and value bytes of the field at `index` (0..<count), valid only during the call.
    @inlinable
    public func withField<R>(at index: Int, _ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> R) -> R {
        precondition(index >= 0 && index < count, "header index out of range")
        return storage.withUnsafeBytes { raw in
            let entry = tableOffset + index * Self.tableEntryBytes
            let nameStart = Int(raw.loadUnaligned(fromByteOffset: entry, as: UInt32.self))
            let nameEnd = Int(raw.loadUnaligned(fromByteOffset: entry + 4, as: UInt32.self))
            let valueStart = Int(raw.loadUnaligned(fromByteOffset: entry + 8, as: UInt32.self))
            let valueEnd = Int(raw.loadUnaligned(fromByteOffset: entry + 12, as: UInt32.self))
            return body(
                UnsafeRawBufferPointer(rebasing: raw[nameStart..<nameEnd]),
                UnsafeRawBufferPointer(rebasing: raw[valueStart..<valueEnd])
            )
        }
    }

    // MARK: Sequence

    public struct Iterator: IteratorProtocol {
        let headers: HTTPHeaders
        var index = 0

        public mutating func next() -> (name: String, value: String)? {
            guard index < headers.count else { return nil }
            defer { index += 1 }
            return headers.withField(at: index) { name, value in
                (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
            }
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(headers: self)
    }

    public var underestimatedCount: Int { count }

    // MARK: Equatable, description

    /// Equal when both hold the same fields in the same order, names and values compared byte for byte.
    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for index in 0..<lhs.count {
            let same = lhs.withField(at: index) { lhsName, lhsValue in
                rhs.withField(at: index) { rhsName, rhsValue in
                    lhsName.elementsEqual(rhsName) && lhsValue.elementsEqual(rhsValue)
                }
            }
            if !same { return false }
        }
        return true
    }

    public var description: String {
        "[" + map { "\($0.name): \($0.value)" }.joined(separator: ", ") + "]"
    }
}

/// Offsets of one header field inside the head bytes (name `[nameStart, nameEnd)`, value trimmed).
struct FieldRange: Sendable {
    var nameStart: UInt32
    var nameEnd: UInt32
    var valueStart: UInt32
    var valueEnd: UInt32
}
