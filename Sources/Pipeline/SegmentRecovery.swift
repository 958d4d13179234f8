#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Startup repair of the segments a previous run left: a segment whose last line lacks its `\n` (a write torn
/// by a crash) is truncated after its last complete line and fsync'd; empty segments are deleted. Complete
/// lines are never touched. Every segment is checked, not only the newest, because a failed write whose
/// truncate also failed can leave a torn tail on a segment that was closed afterwards.
enum SegmentRecovery {
    /// How far back each read goes while looking for the last newline.
    static let backwardScanChunkBytes = 64 << 10

    struct Outcome: Equatable {
        /// The surviving segments, oldest first, with their sizes after repair.
        var segments: [ClosedSegment]
        var truncatedBytes: Int64
        var removedEmptySegments: Int
        /// The highest sequence seen, removed segments included, so a sequence is never reused (a follower
        /// may still hold the removed file open under that number).
        var highestSequence: UInt64
    }

    static func recover(directory: String) throws(WALIOError) -> Outcome {
        var outcome = Outcome(segments: [], truncatedBytes: 0, removedEmptySegments: 0, highestSequence: 0)
        for entry in try FileSystemCalls.listSegments(inDirectory: directory) {
            outcome.highestSequence = max(outcome.highestSequence, entry.sequence)
            var size = try FileSystemCalls.fileSize(atPath: entry.path)
            if size > 0 {
                let keep = try completeLinesLength(path: entry.path, size: size)
                if keep < size {
                    try truncateAndSync(path: entry.path, toSize: keep)
                    outcome.truncatedBytes += size - keep
                    size = keep
                }
            }
            if size == 0 {
                if unlink(entry.path) != 0 && currentErrno() != ENOENT {
                    throw WALIOError.lastError("unlink", entry.path)
                }
                outcome.removedEmptySegments += 1
                continue
            }
            outcome.segments.append(ClosedSegment(sequence: entry.sequence, path: entry.path, size: size))
        }
        if outcome.removedEmptySegments > 0 {
            try FileSystemCalls.syncDirectory(atPath: directory)
        }
        return outcome
    }

    /// Length of the file's prefix that ends with its last `\n` (0 if it has none).
    static func completeLinesLength(path: String, size: Int64) throws(WALIOError) -> Int64 {
        let descriptor = try FileSystemCalls.openForReading(path)
        defer { FileSystemCalls.closeDescriptor(descriptor) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: backwardScanChunkBytes, alignment: 1)
        defer { buffer.deallocate() }
        var end = size
        while end > 0 {
            let start = max(end - Int64(backwardScanChunkBytes), 0)
            let wanted = Int(end - start)
            let read = try FileSystemCalls.readFully(
                descriptor, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<wanted]), at: start, path: path
            )
            var index = read - 1
            while index >= 0 {
                if buffer[index] == UInt8(ascii: "\n") { return start + Int64(index) + 1 }
                index -= 1
            }
            end = start
        }
        return 0
    }

    private static func truncateAndSync(path: String, toSize newSize: Int64) throws(WALIOError) {
        var descriptor: Int32
        repeat {
            descriptor = open(path, O_WRONLY | O_CLOEXEC)
        } while descriptor < 0 && currentErrno() == EINTR
        if descriptor < 0 { throw WALIOError.lastError("open", path) }
        defer { FileSystemCalls.closeDescriptor(descriptor) }
        while ftruncate(descriptor, off_t(newSize)) != 0 {
            if currentErrno() != EINTR { throw WALIOError.lastError("ftruncate", path) }
        }
        while fsync(descriptor) != 0 {
            if currentErrno() != EINTR { throw WALIOError.lastError("fsync", path) }
        }
    }
}
