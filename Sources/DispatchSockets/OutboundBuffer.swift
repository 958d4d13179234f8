internal import Glibc

/// Output the kernel has not taken yet, in order. Chunks are owned allocations so one gathered
/// write can point at several of them. Lane-confined (lives inside a Connection).
struct OutboundBuffer: ~Copyable {
    /// New chunks are at least this big so that many small writes coalesce into few iovecs.
    static let minimumChunkCapacityBytes = 16 * 1024
    /// Most chunks gathered into one sendmsg call.
    static let maxVectorsPerWrite = 64

    private struct Chunk {
        let base: UnsafeMutableRawPointer
        let capacity: Int
        var start: Int
        var end: Int
        var count: Int { end - start }
    }

    private var chunks: [Chunk] = []
    private var headIndex = 0
    private(set) var byteCount = 0

    var isEmpty: Bool { byteCount == 0 }

    /// Copies `bytes` in after everything already pending.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard var source = bytes.baseAddress, !bytes.isEmpty else { return }
        var remaining = bytes.count
        byteCount += remaining
        if chunks.count > headIndex {
            let last = chunks.count - 1
            let room = chunks[last].capacity - chunks[last].end
            if room > 0 {
                let taken = min(room, remaining)
                (chunks[last].base + chunks[last].end).copyMemory(from: source, byteCount: taken)
                chunks[last].end += taken
                remaining -= taken
                source += taken
            }
        }
        if remaining > 0 {
            let capacity = max(remaining, Self.minimumChunkCapacityBytes)
            let base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
            base.copyMemory(from: source, byteCount: remaining)
            chunks.append(Chunk(base: base, capacity: capacity, start: 0, end: remaining))
        }
    }

    /// Fills up to `maxCount` iovecs with the oldest pending bytes; returns how many it filled.
    func fillVectors(_ vectors: UnsafeMutablePointer<iovec>, maxCount: Int) -> Int {
        var filled = 0
        var index = headIndex
        while index < chunks.count, filled < maxCount {
            let chunk = chunks[index]
            vectors[filled] = iovec(iov_base: chunk.base + chunk.start, iov_len: chunk.count)
            filled += 1
            index += 1
        }
        return filled
    }

    /// Drops `count` bytes from the front after the kernel took them.
    mutating func consume(_ count: Int) {
        precondition(count <= byteCount, "consumed more than pending")
        var remaining = count
        byteCount -= count
        while remaining > 0 {
            let available = chunks[headIndex].count
            if remaining < available {
                chunks[headIndex].start += remaining
                return
            }
            remaining -= available
            chunks[headIndex].base.deallocate()
            headIndex += 1
        }
        if headIndex == chunks.count {
            chunks.removeAll(keepingCapacity: true)
            headIndex = 0
        } else if headIndex >= 32, headIndex * 2 >= chunks.count {
            chunks.removeFirst(headIndex)
            headIndex = 0
        }
    }

    mutating func removeAll() {
        for index in headIndex..<chunks.count {
            chunks[index].base.deallocate()
        }
        chunks.removeAll()
        headIndex = 0
        byteCount = 0
    }

    deinit {
        for index in headIndex..<chunks.count {
            chunks[index].base.deallocate()
        }
    }
}
