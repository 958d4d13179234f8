import EventModel
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// The keys already written into the JSON object being built, so each key is written once and the
/// first writer wins (husky's direct translator keeps the first occurrence the same way). An open
/// addressing table of (hash, key offset, key length) into the output buffer; ``reset()`` is O(1)
/// through a generation counter, so one table serves every event of a request.
struct FieldKeySet {
    private struct Slot {
        var hash: UInt64
        var start: Int32
        var length: Int32
        var generation: UInt32
    }

    private var slots: UnsafeMutablePointer<Slot>
    private var mask: Int
    private var used = 0
    private var generation: UInt32 = 1

    static let initialSlots = 128

    init() {
        slots = .allocate(capacity: Self.initialSlots)
        slots.initialize(repeating: Slot(hash: 0, start: 0, length: 0, generation: 0), count: Self.initialSlots)
        mask = Self.initialSlots - 1
    }

    func deallocate() { slots.deallocate() }

    mutating func reset() {
        used = 0
        generation &+= 1
        if generation == 0 {  // wrapped: clear for real once every 4 billion events
            for index in 0...mask { slots[index].generation = 0 }
            generation = 1
        }
    }

    /// FNV-style hash over 8-byte words; keys are short attribute names.
    @inline(__always)
    static func hash(_ bytes: UnsafePointer<UInt8>, count: Int) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(count)
        var index = 0
        let raw = UnsafeRawPointer(bytes)
        while index + 8 <= count {
            hash = (hash ^ raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) &* 0x0000_0100_0000_01b3
            hash ^= hash >> 29
            index += 8
        }
        while index < count {
            hash = (hash ^ UInt64(bytes[index])) &* 0x0000_0100_0000_01b3
            index += 1
        }
        return hash ^ (hash >> 32)
    }

    /// Inserts the key at `start..<start+length` of `buffer` unless an equal key is present.
    /// Returns false (and changes nothing) when it was already there.
    @inline(__always)
    mutating func insert(hash: UInt64, start: Int, length: Int, in buffer: ByteBuffer) -> Bool {
        var index = Int(truncatingIfNeeded: hash) & mask
        while slots[index].generation == generation {
            let slot = slots[index]
            if slot.hash == hash && Int(slot.length) == length
                && memcmp(buffer.base + Int(slot.start), buffer.base + start, length) == 0
            {
                return false
            }
            index = (index + 1) & mask
        }
        slots[index] = Slot(hash: hash, start: Int32(truncatingIfNeeded: start), length: Int32(length), generation: generation)
        used += 1
        if used * 2 > mask + 1 { grow() }
        return true
    }

    private mutating func grow() {
        let oldSlots = slots
        let oldCount = mask + 1
        let newCount = oldCount * 2
        slots = .allocate(capacity: newCount)
        slots.initialize(repeating: Slot(hash: 0, start: 0, length: 0, generation: 0), count: newCount)
        mask = newCount - 1
        for index in 0..<oldCount where oldSlots[index].generation == generation {
            var target = Int(truncatingIfNeeded: oldSlots[index].hash) & mask
            while slots[target].generation == generation { target = (target + 1) & mask }
            slots[target] = oldSlots[index]
        }
        oldSlots.deallocate()
    }
}
