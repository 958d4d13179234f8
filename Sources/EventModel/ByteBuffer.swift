#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// The server's one growable byte buffer on malloc'd memory, for building JSON, protobuf and WAL output
/// without Array's per-append uniqueness checks. A plain value holding a pointer: the owner calls
/// ``deallocate()`` exactly once (the decoders do it with `defer`), and copies must not outlive that.
///
/// Hot writers ``reserve(_:)`` the worst case for what they are about to write, then write through
/// ``unsafeAppend(_:)`` or ``appendInPlace(maximum:_:)`` without a capacity check per byte.
public struct ByteBuffer {
    public private(set) var base: UnsafeMutablePointer<UInt8>
    public var count: Int
    public private(set) var capacity: Int
    /// False while writing into memory someone else owns (an array being initialised); the first
    /// growth past it moves the bytes into malloc'd memory.
    public private(set) var ownsStorage = true

    public static let minimumCapacityBytes = 256

    public init(capacity: Int) {
        let capacity = max(capacity, Self.minimumCapacityBytes)
        guard let memory = malloc(capacity) else { fatalError("out of memory") }
        base = memory.assumingMemoryBound(to: UInt8.self)
        count = 0
        self.capacity = capacity
    }

    /// Writes into `storage` (not owned, never freed by this buffer) until it is full.
    public init(borrowing storage: UnsafeMutablePointer<UInt8>, capacity: Int) {
        base = storage
        count = 0
        self.capacity = capacity
        ownsStorage = false
    }

    public func deallocate() {
        if ownsStorage { free(base) }
    }

    /// Makes room for `extra` more bytes.
    @inlinable @inline(__always)
    public mutating func reserve(_ extra: Int) {
        if count &+ extra > capacity { grow(to: count + extra) }
    }

    @usableFromInline
    mutating func grow(to needed: Int) {
        var newCapacity = max(capacity * 2, Self.minimumCapacityBytes)
        while newCapacity < needed { newCapacity *= 2 }
        if ownsStorage {
            guard let memory = realloc(base, newCapacity) else { fatalError("out of memory") }
            base = memory.assumingMemoryBound(to: UInt8.self)
        } else {
            guard let memory = malloc(newCapacity) else { fatalError("out of memory") }
            let moved = memory.assumingMemoryBound(to: UInt8.self)
            moved.update(from: base, count: count)
            base = moved
            ownsStorage = true
        }
        capacity = newCapacity
    }

    /// Appends one byte; the caller has reserved room.
    @inlinable @inline(__always)
    public mutating func unsafeAppend(_ byte: UInt8) {
        base[count] = byte
        count &+= 1
    }

    @inlinable @inline(__always)
    public mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count &+= 1
    }

    @inlinable @inline(__always)
    public mutating func append(_ bytes: UnsafePointer<UInt8>, count length: Int) {
        guard length > 0 else { return }
        reserve(length)
        (base + count).update(from: bytes, count: length)
        count &+= length
    }

    @inlinable @inline(__always)
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress else { return }
        append(source.assumingMemoryBound(to: UInt8.self), count: bytes.count)
    }

    @inlinable
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    @inlinable @inline(__always)
    public mutating func append(_ text: StaticString) {
        append(text.utf8Start, count: text.utf8CodeUnitCount)
    }

    public mutating func append(contentsOf bytes: some Sequence<UInt8>) {
        for byte in bytes { append(byte) }
    }

    /// Appends the bytes of another buffer's range.
    public mutating func append(_ other: ByteBuffer, range: Range<Int>) {
        append(other.base + range.lowerBound, count: range.count)
    }

    /// Lets a formatter write up to `maximum` bytes in place; `body` returns how many it wrote.
    @inlinable @inline(__always)
    public mutating func appendInPlace(maximum: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        reserve(maximum)
        count &+= body(base + count)
    }

    /// Decimal digits of a signed integer.
    public mutating func appendInt(_ value: Int64) {
        reserve(20)
        var magnitude = value.magnitude
        if value < 0 {
            base[count] = UInt8(ascii: "-")
            count += 1
        }
        appendUnsigned(&magnitude)
    }

    public mutating func appendUInt(_ value: UInt64) {
        reserve(20)
        var magnitude = value
        appendUnsigned(&magnitude)
    }

    private mutating func appendUnsigned(_ value: inout UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, written back to front
        let written: Int = withUnsafeMutableBytes(of: &digits) { scratch in
            var index = 24
            repeat {
                index -= 1
                scratch[index] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            } while value != 0
            let length = 24 - index
            (base + count).update(
                from: scratch.baseAddress!.assumingMemoryBound(to: UInt8.self) + index, count: length)
            return length
        }
        count += written
    }

    /// The bytes written so far; valid until the next append or ``deallocate()``.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base, count: count)
    }

    /// A copy of the bytes as an array whose capacity leaves `spareCapacity` bytes after them (the JSON
    /// decoder's padding).
    public func makeArray(spareCapacity: Int = 0) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count + spareCapacity) { buffer, initialized in
            if count > 0 { buffer.baseAddress!.update(from: base, count: count) }
            initialized = count
        }
    }

    public func bytesEqual(_ range: Range<Int>, _ other: UnsafePointer<UInt8>, _ otherCount: Int) -> Bool {
        range.count == otherCount && memcmp(base + range.lowerBound, other, otherCount) == 0
    }
}
