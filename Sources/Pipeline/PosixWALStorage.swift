#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system behind the WAL.
struct PosixWALStorage: WALStorage {
    static let segmentFileMode: mode_t = 0o644

    func createFile(atPath path: String) throws(WALIOError) -> any WALFile {
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC
        var descriptor: Int32
        repeat {
            descriptor = open(path, flags, Self.segmentFileMode)
        } while descriptor < 0 && currentErrno() == EINTR
        if descriptor < 0 { throw WALIOError.lastError("open", path) }
        return PosixWALFile(path: path, descriptor: descriptor, size: 0)
    }

    func removeFile(atPath path: String) throws(WALIOError) {
        if unlink(path) != 0 && currentErrno() != ENOENT {
            throw WALIOError.lastError("unlink", path)
        }
    }

    func syncDirectory(atPath path: String) throws(WALIOError) {
        try FileSystemCalls.syncDirectory(atPath: path)
    }
}
