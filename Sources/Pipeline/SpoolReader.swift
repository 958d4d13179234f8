#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the spool's segment files (`wal-<16-digit sequence>.jsonl`) for `kelpie spool`: one JSON line per
/// event, oldest first. Never emits a partial last line (one being written, or torn by a crash). Safe to run
/// while a pipeline appends to the same directory; takes no lock.
public struct SpoolReader: Sendable {
    public let dataDirectory: String

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    /// Segment file paths, oldest first.
    public func segments() throws -> [String] {
        try FileSystemCalls.listSegments(inDirectory: dataDirectory).map(\.path)
    }

    /// Calls `line` with each complete stored line (without the trailing newline), oldest first. Stops early
    /// if `line` returns false. A segment deleted by retention while listing is skipped.
    public func forEachLine(_ line: (UnsafeRawBufferPointer) -> Bool) throws {
        for entry in try FileSystemCalls.listSegments(inDirectory: dataDirectory) {
            guard let scanner = try Self.openScanner(entry.path) else { continue }
            if try !scanner.readAvailable(line) { return }
        }
    }

    /// Emits every existing line, then keeps polling every `pollInterval` for appended lines and new
    /// segments until `shouldStop()` returns true (checked between polls). A segment is left for the next
    /// one only after it has been read to its end once the next one exists, so no line is skipped across a
    /// rotation.
    public func follow(
        pollInterval: Duration, shouldStop: @Sendable () -> Bool, _ line: (UnsafeRawBufferPointer) -> Void
    ) throws {
        var current: (entry: SegmentEntry, scanner: SegmentLineScanner)?
        while true {
            let entries = try FileSystemCalls.listSegments(inDirectory: dataDirectory)
            let next = entries.first { current == nil || $0.sequence > current!.entry.sequence }
            if let current {
                // Listed before this read: if a newer segment exists, the writer is done with this one.
                _ = try current.scanner.readAvailable { line($0); return true }
            }
            if let next {
                current = try Self.openScanner(next.path).map { (next, $0) }
                if current != nil { continue }
            }
            if shouldStop() { return }
            Self.sleep(pollInterval)
        }
    }

    private static func openScanner(_ path: String) throws -> SegmentLineScanner? {
        do throws(WALIOError) {
            return try SegmentLineScanner(path: path)
        } catch where error.errno == ENOENT {
            return nil
        }
    }

    private static func sleep(_ interval: Duration) {
        let nanoseconds = max(interval.wholeNanoseconds, 0)
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && currentErrno() == EINTR {
            request = remaining
        }
    }
}
