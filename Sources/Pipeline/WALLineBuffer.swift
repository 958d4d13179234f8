/// One batch's encoded WAL lines in a single heap allocation whose address never moves once encoding is done,
/// so the writer can hand many of them to one writev() without copying.
///
/// Filled on the submitting thread, then only read by the writer: that hand-over through the pipeline's
/// lock is why it is `@unchecked Sendable`.
final class WALLineBuffer: @unchecked Sendable {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        self.base = .allocate(capacity: self.capacity)
    }

    deinit {
        base.deallocate()
    }

    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base, count: count)
    }

    /// A copy, for tests and diagnostics.
    var array: [UInt8] {
        Array(UnsafeBufferPointer(start: base, count: count))
    }

    /// Makes room for `additional` more bytes, growing geometrically.
    @inline(__always)
    func reserve(_ additional: Int) {
        if count + additional > capacity { grow(minimum: count + additional) }
    }

    @inline(__always)
    func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    func append(_ source: UnsafeRawBufferPointer) {
        guard let sourceBase = source.baseAddress, source.count > 0 else { return }
        reserve(source.count)
        UnsafeMutableRawPointer(base + count).copyMemory(from: sourceBase, byteCount: source.count)
        count += source.count
    }

    @inline(__always)
    func append(_ source: [UInt8]) {
        source.withUnsafeBytes { append($0) }
    }

    /// Lets a formatter write up to `maximum` bytes in place; `body` returns how many it wrote.
    @inline(__always)
    func appendInPlace(maximum: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        reserve(maximum)
        count += body(base + count)
    }

    private func grow(minimum: Int) {
        let newCapacity = max(minimum, capacity * 2)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }
}
