import EventModel

/// One batch's encoded WAL lines: a ``ByteBuffer`` owned by a reference, so the bytes stay put once encoding
/// is done and the writer can hand many of them to one writev() without copying.
///
/// Filled on the submitting thread, then only read by the writer: that hand-over through the pipeline's
/// lock is why it is `@unchecked Sendable`.
final class WALLineBuffer: @unchecked Sendable {  // unchecked: filled before submit, then read only by the writer, handed over through the pipeline's lock
    var storage: ByteBuffer

    init(capacity: Int) {
        storage = ByteBuffer(capacity: capacity)
    }

    deinit {
        storage.deallocate()
    }

    var count: Int { storage.count }

    var bytes: UnsafeRawBufferPointer { storage.bytes }

    /// A copy, for tests and diagnostics.
    var array: [UInt8] { storage.makeArray() }
}
