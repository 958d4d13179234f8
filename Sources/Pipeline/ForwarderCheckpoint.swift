#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How far the forwarder got, kept in `forwarder.checkpoint` beside the segments so a restart resumes there.
///
/// `delivered`: everything before it was confirmed by the sink. `sent`: everything before it had been
/// handed to the sink; what lies between the two on restart may already be delivered and is counted as
/// redelivered when sent again. The file is replaced by rename, never fsync'd: losing an update only moves
/// the restart point back (more redelivery), never forward, so nothing is lost.
struct ForwarderCheckpoint: Sendable, Equatable {
    static let fileName = "forwarder.checkpoint"
    static let magic = "kelpie-forwarder-checkpoint v1"

    var delivered: WALPosition
    var sent: WALPosition

    static let start = ForwarderCheckpoint(delivered: .start, sent: .start)

    /// The text stored in the file.
    var encoded: String {
        "\(Self.magic) delivered=\(delivered.sequence):\(delivered.offset) sent=\(sent.sequence):\(sent.offset)\n"
    }

    /// Parses the file's text; nil for anything else (a damaged checkpoint restarts from the oldest segment).
    static func decode(_ text: String) -> ForwarderCheckpoint? {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count == 4, fields[0] + " " + fields[1] == magic,
              let delivered = position(fields[2], key: "delivered="),
              let sent = position(fields[3], key: "sent=")
        else { return nil }
        return ForwarderCheckpoint(delivered: delivered, sent: max(sent, delivered))
    }

    private static func position(_ field: Substring, key: String) -> WALPosition? {
        guard field.hasPrefix(key) else { return nil }
        let parts = field.dropFirst(key.count).split(separator: ":")
        guard parts.count == 2, let sequence = UInt64(parts[0]), let offset = Int64(parts[1]), offset >= 0 else {
            return nil
        }
        return WALPosition(sequence: sequence, offset: offset)
    }

    /// Reads the checkpoint in `directory`; a missing file means "from the oldest segment".
    static func load(directory: String) throws(WALIOError) -> ForwarderCheckpoint? {
        let path = directory + "/" + fileName
        let descriptor: Int32
        do throws(WALIOError) {
            descriptor = try FileSystemCalls.openForReading(path)
        } catch where error.errno == ENOENT {
            return nil
        }
        defer { FileSystemCalls.closeDescriptor(descriptor) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 1)
        defer { buffer.deallocate() }
        let count = try FileSystemCalls.readFully(descriptor, into: buffer, at: 0, path: path)
        return decode(String(decoding: buffer[..<count], as: UTF8.self))
    }

    /// Replaces the checkpoint file (write a temporary file, then rename over the old one).
    func store(directory: String) throws(WALIOError) {
        let path = directory + "/" + Self.fileName
        let temporary = path + ".tmp"
        let descriptor = try FileSystemCalls.openForWriting(temporary, flags: O_CREAT | O_TRUNC)
        defer { FileSystemCalls.closeDescriptor(descriptor) }
        try FileSystemCalls.writeAll(descriptor, Array(encoded.utf8), path: temporary)
        if rename(temporary, path) != 0 { throw WALIOError.lastError("rename", path) }
    }
}
