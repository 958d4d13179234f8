#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A segment file opened with O_APPEND (so a truncate after a failed write needs no seek), written with writev.
final class PosixWALFile: WALFile {
    /// Linux's IOV_MAX; one writev takes at most this many buffers.
    static let maxBuffersPerWritev = 1024

    let path: String
    private(set) var size: Int64
    private var descriptor: Int32

    init(path: String, descriptor: Int32, size: Int64) {
        self.path = path
        self.descriptor = descriptor
        self.size = size
    }

    deinit {
        close()
    }

    func append(_ chunks: [UnsafeRawBufferPointer]) throws(WALIOError) {
        var chunkIndex = 0
        var offsetInChunk = 0
        var vectors: [iovec] = []
        vectors.reserveCapacity(min(chunks.count, Self.maxBuffersPerWritev))
        while chunkIndex < chunks.count {
            vectors.removeAll(keepingCapacity: true)
            var index = chunkIndex
            var offset = offsetInChunk
            while index < chunks.count && vectors.count < Self.maxBuffersPerWritev {
                let chunk = chunks[index]
                if chunk.count > offset, let base = chunk.baseAddress {
                    vectors.append(iovec(
                        iov_base: UnsafeMutableRawPointer(mutating: base + offset),
                        iov_len: chunk.count - offset
                    ))
                }
                index += 1
                offset = 0
            }
            if vectors.isEmpty { return }
            let written = vectors.withUnsafeBufferPointer { writev(descriptor, $0.baseAddress, Int32($0.count)) }
            if written < 0 {
                if currentErrno() == EINTR { continue }
                throw WALIOError.lastError("writev", path)
            }
            size += Int64(written)
            // Advance past what was written; a short write resumes mid-chunk.
            var remaining = written
            while remaining > 0 && chunkIndex < chunks.count {
                let left = chunks[chunkIndex].count - offsetInChunk
                if remaining >= left {
                    remaining -= left
                    chunkIndex += 1
                    offsetInChunk = 0
                } else {
                    offsetInChunk += remaining
                    remaining = 0
                }
            }
            // Skip empty chunks so the loop ends when everything is written.
            while chunkIndex < chunks.count && chunks[chunkIndex].count == offsetInChunk {
                chunkIndex += 1
                offsetInChunk = 0
            }
        }
    }

    func truncate(toSize newSize: Int64) throws(WALIOError) {
        while ftruncate(descriptor, off_t(newSize)) != 0 {
            if currentErrno() != EINTR { throw WALIOError.lastError("ftruncate", path) }
        }
        size = newSize
    }

    func sync() throws(WALIOError) {
        while fdatasync(descriptor) != 0 {
            if currentErrno() != EINTR { throw WALIOError.lastError("fdatasync", path) }
        }
    }

    func close() {
        if descriptor >= 0 {
            FileSystemCalls.closeDescriptor(descriptor)
            descriptor = -1
        }
    }
}
