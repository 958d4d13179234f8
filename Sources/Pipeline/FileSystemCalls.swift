#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few POSIX file-system calls the WAL and the spool reader share, with EINTR handled and errno captured.
enum FileSystemCalls {
    static let directoryMode: mode_t = 0o755

    static func closeDescriptor(_ descriptor: Int32) {
        #if canImport(Glibc)
        _ = Glibc.close(descriptor)
        #else
        _ = Darwin.close(descriptor)
        #endif
    }

    /// mkdir -p.
    static func createDirectories(atPath path: String) throws(WALIOError) {
        if isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if !isDirectory(prefix) && mkdir(prefix, directoryMode) != 0 && currentErrno() != EEXIST {
                throw WALIOError.lastError("mkdir", prefix)
            }
            prefix += "/"
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The segment files in `directory`, oldest (lowest sequence) first.
    static func listSegments(inDirectory directory: String) throws(WALIOError) -> [SegmentEntry] {
        guard let stream = opendir(directory) else { throw WALIOError.lastError("opendir", directory) }
        defer { closedir(stream) }
        var entries: [SegmentEntry] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if let sequence = SegmentFileName.sequence(fromName: name) {
                entries.append(SegmentEntry(sequence: sequence, path: directory + "/" + name))
            }
        }
        entries.sort { $0.sequence < $1.sequence }
        return entries
    }

    static func fileSize(atPath path: String) throws(WALIOError) -> Int64 {
        var info = stat()
        if stat(path, &info) != 0 { throw WALIOError.lastError("stat", path) }
        return Int64(info.st_size)
    }

    static func openForReading(_ path: String) throws(WALIOError) -> Int32 {
        var descriptor: Int32
        repeat {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
        } while descriptor < 0 && currentErrno() == EINTR
        if descriptor < 0 { throw WALIOError.lastError("open", path) }
        return descriptor
    }

    /// pread until `buffer` is full or end of file; returns the bytes read.
    static func readFully(
        _ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, path: String
    ) throws(WALIOError) -> Int {
        var total = 0
        while total < buffer.count {
            let count = pread(descriptor, buffer.baseAddress! + total, buffer.count - total, off_t(offset) + off_t(total))
            if count < 0 {
                if currentErrno() == EINTR { continue }
                throw WALIOError.lastError("pread", path)
            }
            if count == 0 { break }
            total += count
        }
        return total
    }

    /// open(2) for writing with `flags` added to O_WRONLY|O_CLOEXEC (created 0644), EINTR retried.
    static func openForWriting(_ path: String, flags: Int32) throws(WALIOError) -> Int32 {
        var descriptor: Int32
        repeat {
            descriptor = open(path, O_WRONLY | O_CLOEXEC | flags, 0o644)
        } while descriptor < 0 && currentErrno() == EINTR
        if descriptor < 0 { throw WALIOError.lastError("open", path) }
        return descriptor
    }

    /// write(2) until every byte is written, EINTR retried.
    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws(WALIOError) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 {
                if currentErrno() == EINTR { continue }
                throw WALIOError.lastError("write", path)
            }
            written += count
        }
    }

    static func syncDirectory(atPath path: String) throws(WALIOError) {
        let descriptor = try openForReading(path)
        defer { closeDescriptor(descriptor) }
        while fsync(descriptor) != 0 {
            if currentErrno() != EINTR { throw WALIOError.lastError("fsync", path) }
        }
    }

    /// Takes an exclusive, non-blocking flock on `path` (created if missing) and returns its descriptor;
    /// the lock lasts until the descriptor is closed. EWOULDBLOCK means another process holds it.
    static func lockFile(atPath path: String) throws(WALIOError) -> Int32 {
        var descriptor: Int32
        repeat {
            descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        } while descriptor < 0 && currentErrno() == EINTR
        if descriptor < 0 { throw WALIOError.lastError("open", path) }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if currentErrno() == EINTR { continue }
            let error = WALIOError.lastError("flock (another kelpie uses this data directory?)", path)
            closeDescriptor(descriptor)
            throw error
        }
        return descriptor
    }
}
