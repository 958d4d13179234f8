#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A growable byte buffer for writing JSON text fast: callers ``reserve(_:)`` the worst case for what they
/// are about to write, then write through ``unsafeAppend(_:)`` without a capacity check per byte.
/// ``finish()`` copies the bytes once into an array (with simdjson padding capacity, like decoded bodies).
struct JSONOutputBuffer: ~Copyable {
    private(set) var storage: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    var count = 0

    init(initialCapacity: Int) {
        capacity = max(initialCapacity, 256)
        guard let memory = malloc(capacity) else { fatalError("out of memory") }
        storage = memory.assumingMemoryBound(to: UInt8.self)
    }

    deinit { free(storage) }

    /// Makes room for `extra` more bytes.
    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if capacity - count < extra { grow(to: count + extra) }
    }

    private mutating func grow(to needed: Int) {
        var wanted = capacity * 2
        while wanted < needed { wanted *= 2 }
        guard let bigger = realloc(storage, wanted) else { fatalError("out of memory") }
        storage = bigger.assumingMemoryBound(to: UInt8.self)
        capacity = wanted
    }

    /// Appends one byte; the caller has reserved room.
    @inline(__always)
    mutating func unsafeAppend(_ byte: UInt8) {
        storage[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        unsafeAppend(byte)
    }

    mutating func append(_ bytes: UnsafePointer<UInt8>, count length: Int) {
        reserve(length)
        (storage + count).update(from: bytes, count: length)
        count += length
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { append(base, count: buffer.count) }
        }
    }

    mutating func append(_ text: StaticString) {
        append(text.utf8Start, count: text.utf8CodeUnitCount)
    }

    /// Appends `value` in decimal.
    mutating func appendDecimal(_ value: UInt64) {
        reserve(20)
        var digits = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        var remaining = value
        var index = count + digits - 1
        repeat {
            storage[index] = UInt8(truncatingIfNeeded: remaining % 10) &+ UInt8(ascii: "0")
            remaining /= 10
            index -= 1
        } while remaining > 0
        count += digits
    }

    mutating func appendDecimal(_ value: Int64) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            appendDecimal(value.magnitude)
        } else {
            appendDecimal(UInt64(value))
        }
    }

    /// The bytes, once copied into an array with ``JSONPadding/bytes`` spare capacity.
    consuming func finish() -> [UInt8] {
        let count = self.count
        let storage = self.storage
        return [UInt8](unsafeUninitializedCapacity: count + JSONPadding.bytes) { buffer, initialized in
            if count > 0 { buffer.baseAddress!.update(from: storage, count: count) }
            initialized = count
        }
    }
}
