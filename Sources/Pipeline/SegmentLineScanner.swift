#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads one segment file forward and hands out its complete lines. A trailing partial line (still being
/// written, or torn by a crash) is kept back until its `\n` arrives, so it is never emitted.
final class SegmentLineScanner {
    static let readChunkBytes = 1 << 20

    let path: String
    private var descriptor: Int32
    private var offset: Int64 = 0
    /// The start of a line whose end has not been read yet.
    private var carry: [UInt8] = []
    private let buffer: UnsafeMutableRawBufferPointer

    init(path: String) throws(WALIOError) {
        self.path = path
        self.descriptor = try FileSystemCalls.openForReading(path)
        self.buffer = .allocate(byteCount: Self.readChunkBytes, alignment: 1)
    }

    deinit {
        FileSystemCalls.closeDescriptor(descriptor)
        buffer.deallocate()
    }

    /// Reads up to the current end of the file, calling `line` with each complete line (without its `\n`).
    /// Returns false as soon as `line` does.
    func readAvailable(_ line: (UnsafeRawBufferPointer) -> Bool) throws(WALIOError) -> Bool {
        while true {
            let count = try FileSystemCalls.readFully(descriptor, into: buffer, at: offset, path: path)
            if count == 0 { return true }
            offset += Int64(count)
            guard let base = buffer.baseAddress else { return true }
            var start = 0
            while start < count, let found = memchr(base + start, Int32(UInt8(ascii: "\n")), count - start) {
                let end = base.distance(to: found)
                let piece = UnsafeRawBufferPointer(start: base + start, count: end - start)
                let keepGoing: Bool
                if carry.isEmpty {
                    keepGoing = line(piece)
                } else {
                    carry.append(contentsOf: piece)
                    keepGoing = carry.withUnsafeBytes { line($0) }
                    carry.removeAll(keepingCapacity: true)
                }
                if !keepGoing { return false }
                start = end + 1
            }
            if start < count {
                carry.append(contentsOf: UnsafeRawBufferPointer(start: base + start, count: count - start))
            }
            if count < buffer.count { return true }
        }
    }
}
