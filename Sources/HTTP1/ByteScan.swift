/// Byte-level scanning primitives shared by the head, chunk and trailer parsers.
/// All of them work on raw pointers with explicit `[from, to)` bounds that the callers have
/// already checked against the buffer; none allocates.
@usableFromInline
enum ByteScan {
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let comma: UInt8 = 0x2C
    static let semicolon: UInt8 = 0x3B

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Per-byte high bit set for each zero byte of `word`; the lowest set bit marks the first one
    /// exactly (carries only create false positives above a true zero byte).
    @inline(__always)
    private static func zeroBytes(_ word: UInt64) -> UInt64 {
        (word &- ones) & ~word & highBits
    }

    /// Per-byte high bit for each byte below `limit` (limit ≤ 0x80), same exactness as `zeroBytes`.
    @inline(__always)
    private static func bytesBelow(_ word: UInt64, _ limit: UInt8) -> UInt64 {
        (word &- ones &* UInt64(limit)) & ~word & highBits
    }

    /// Index of the first LF in `[from, to)`, eight bytes at a time.
    @inline(__always)
    static func firstLineFeed(_ base: UnsafeRawPointer, from: Int, to end: Int) -> Int? {
        var index = from
        while index &+ 8 <= end {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let hits = zeroBytes(word ^ (ones &* UInt64(lf)))
            if hits != 0 { return index &+ (hits.trailingZeroBitCount >> 3) }
            index &+= 8
        }
        while index < end {
            if base.load(fromByteOffset: index, as: UInt8.self) == lf { return index }
            index &+= 1
        }
        return nil
    }

    /// Whether `byte` may appear in a field value: field-vchar, obs-text, SP or HTAB (RFC 9110 §5.5).
    /// Rejects NUL, CR, LF, every other control byte and DEL.
    @inline(__always)
    static func isFieldValueByte(_ byte: UInt8) -> Bool {
        (byte >= sp && byte != 0x7F) || byte == htab
    }

    /// Index of the first byte in `[from, to)` that may not appear in a field value, if any.
    /// Words without control bytes or DEL (the common case) are cleared eight bytes at a time.
    @inline(__always)
    static func firstInvalidFieldValueByte(_ base: UnsafeRawPointer, from: Int, to end: Int) -> Int? {
        var index = from
        while index &+ 8 <= end {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let suspicious = bytesBelow(word, sp) | zeroBytes(word ^ (ones &* 0x7F))
            if suspicious != 0 {
                // A tab also trips the word check; decide byte by byte for this word.
                for offset in index..<(index &+ 8) where !isFieldValueByte(base.load(fromByteOffset: offset, as: UInt8.self)) {
                    return offset
                }
            }
            index &+= 8
        }
        while index < end {
            if !isFieldValueByte(base.load(fromByteOffset: index, as: UInt8.self)) { return index }
            index &+= 1
        }
        return nil
    }

    /// tchar (RFC 9110 §5.6.2) as two 64-bit masks over ASCII: bit b of the first for byte b < 64,
    /// bit b-64 of the second for 64 ≤ b < 128. Literal constants, so no table lookup or lazy global.
    @inline(__always)
    static func isTokenByte(_ byte: UInt8) -> Bool {
        if byte < 64 { return (0x03FF_6CFA_0000_0000 as UInt64) >> byte & 1 == 1 }
        if byte < 128 { return (0x57FF_FFFF_C7FF_FFFE as UInt64) >> (byte &- 64) & 1 == 1 }
        return false
    }

    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == sp || byte == htab
    }

    @inlinable
    static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }

    /// Whether `bytes` equals `literal` exactly (case-sensitive).
    @inline(__always)
    static func equals(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        for index in 0..<bytes.count where bytes[index] != expected[index] {
            return false
        }
        return true
    }

    /// Whether `base[from..<to]` equals the lowercase ASCII `literal`, ignoring ASCII case.
    @inline(__always)
    static func equalsIgnoringCase(_ base: UnsafeRawPointer, from: Int, to end: Int, _ literal: StaticString) -> Bool {
        guard end &- from == literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        var index = 0
        while index < literal.utf8CodeUnitCount {
            if asciiLowercased(base.load(fromByteOffset: from &+ index, as: UInt8.self)) != expected[index] {
                return false
            }
            index &+= 1
        }
        return true
    }

    /// Calls `body` with the `[start, end)` bounds of each comma-separated list element in
    /// `base[from..<to]`, surrounding whitespace trimmed, empty elements skipped (RFC 9110 §5.6.1).
    /// Stops early when `body` returns false.
    @inline(__always)
    static func forEachListElement(
        _ base: UnsafeRawPointer, from: Int, to end: Int, _ body: (Int, Int) -> Bool
    ) {
        var elementStart = from
        while elementStart <= end {
            var elementEnd = elementStart
            while elementEnd < end && base.load(fromByteOffset: elementEnd, as: UInt8.self) != comma {
                elementEnd &+= 1
            }
            var trimmedStart = elementStart
            var trimmedEnd = elementEnd
            while trimmedStart < trimmedEnd && isWhitespace(base.load(fromByteOffset: trimmedStart, as: UInt8.self)) {
                trimmedStart &+= 1
            }
            while trimmedEnd > trimmedStart && isWhitespace(base.load(fromByteOffset: trimmedEnd &- 1, as: UInt8.self)) {
                trimmedEnd &-= 1
            }
            if trimmedStart < trimmedEnd && !body(trimmedStart, trimmedEnd) { return }
            elementStart = elementEnd &+ 1
        }
    }
}
