#if canImport(Glibc)
import Glibc
#endif

/// Unbuffered output to a file descriptor for the log handler and the command line (no Foundation, and
/// nothing lost to a buffer when the process exits right after).
public enum FileDescriptorOutput {
    /// Writes every byte, retrying short writes and EINTR; gives up silently on any other error (a closed
    /// stdout or stderr has nowhere to report to).
    public static func writeAll(_ bytes: UnsafeRawBufferPointer, to fileDescriptor: Int32) {
        var offset = 0
        while offset < bytes.count {
            let written = write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
