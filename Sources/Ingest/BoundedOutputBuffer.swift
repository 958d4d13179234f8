#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// The growing output of a decompressor, with a hard size limit.
///
/// A decompressor writes straight into the free space this buffer offers (no zero-filling), never more
/// than `maxBytes + 1` bytes in total: reaching `maxBytes + 1` proves the decoded body is over the limit,
/// so a gzip or zstd bomb costs at most the limit in memory. Memory reserved from an untrusted size hint
/// is not touched until data arrives. ``finish()`` copies the bytes once into an array whose capacity
/// keeps ``JSONPadding/bytes`` spare, ready for the JSON decoder.
struct BoundedOutputBuffer: ~Copyable {
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private(set) var count = 0
    let maxBytes: Int
    static let minCapacityBytes = 16 * 1024

    init(expectedBytes: Int, maxBytes: Int) {
        self.maxBytes = maxBytes
        capacity = min(max(expectedBytes, Self.minCapacityBytes), maxBytes + 1)
        guard let storage = malloc(capacity) else { fatalError("out of memory") }
        self.storage = storage
    }

    deinit { free(storage) }

    var isOverLimit: Bool { count > maxBytes }

    /// Offers the free space to `write`, which returns how many bytes it wrote there. Offers at least one
    /// byte unless the buffer is already over the limit (then `write` is not called and 0 is returned).
    mutating func write<E: Error>(_ write: (UnsafeMutablePointer<UInt8>, Int) throws(E) -> Int) throws(E) -> Int {
        let room = maxBytes + 1 - count
        guard room > 0 else { return 0 }
        if count == capacity { grow() }
        let free = min(capacity - count, room)
        let written = try write(storage.assumingMemoryBound(to: UInt8.self) + count, free)
        count += written
        return written
    }

    /// Doubles the capacity, never past the limit plus one byte.
    private mutating func grow() {
        let wanted = min(max(capacity * 2, Self.minCapacityBytes), maxBytes + 1)
        guard let bigger = realloc(storage, wanted) else { fatalError("out of memory") }
        storage = bigger
        capacity = wanted
    }

    /// The decoded bytes, in an array with padding capacity.
    consuming func finish() -> [UInt8] {
        let count = self.count
        let storage = self.storage
        return [UInt8](unsafeUninitializedCapacity: count + JSONPadding.bytes) { buffer, initialized in
            if count > 0 { buffer.baseAddress!.update(from: storage.assumingMemoryBound(to: UInt8.self), count: count) }
            initialized = count
        }
    }
}
