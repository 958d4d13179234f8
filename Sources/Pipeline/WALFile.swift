/// One open segment file, used only from the writer queue. The seam through which tests inject slow or
/// failing writes; ``PosixWALFile`` is the real one.
protocol WALFile: AnyObject {
    var path: String { get }
    /// Bytes in the file, including any prefix a failed append left behind.
    var size: Int64 { get }
    /// Appends all of `chunks` in order (handling short writes and EINTR) or throws; after a throw the file
    /// may hold a prefix of them, which `size` includes.
    func append(_ chunks: [UnsafeRawBufferPointer]) throws(WALIOError)
    func truncate(toSize newSize: Int64) throws(WALIOError)
    /// fdatasync.
    func sync() throws(WALIOError)
    func close()
}

/// Creates and deletes segment files and makes those directory changes durable.
protocol WALStorage: Sendable {
    /// Creates a new, empty file (it must not exist yet) opened for appending.
    func createFile(atPath path: String) throws(WALIOError) -> any WALFile
    func removeFile(atPath path: String) throws(WALIOError)
    /// fsync on the directory, so created and deleted names survive a crash.
    func syncDirectory(atPath path: String) throws(WALIOError)
}
