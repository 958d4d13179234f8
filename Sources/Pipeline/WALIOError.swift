#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call on the WAL or spool files: which call, on what path, and errno.
public struct WALIOError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32

    public init(operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))"
    }

    /// Captures the calling thread's errno right after a failed call.
    static func lastError(_ operation: String, _ path: String) -> WALIOError {
        WALIOError(operation: operation, path: path, errno: currentErrno())
    }
}

@inline(__always)
func currentErrno() -> Int32 {
    #if canImport(Glibc)
    return Glibc.errno
    #else
    return Darwin.errno
    #endif
}
