import Locking
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Events a sink can never deliver, set aside under `<data dir>/deadletter/` instead of being retried for ever
/// or dropped: one JSON line per event, `{"reason":"…","sink":"…","event":<canonical line>}`, appended to
/// `deadletter.jsonl` and fsync'd. An operator can inspect, fix and replay them; nothing reads them back.
final class DeadLetterSpool: Sendable {
    static let directoryName = "deadletter"
    static let fileName = "deadletter.jsonl"

    let path: String
    private let directory: String
    /// Serialises appends from several delivery threads.
    private let lock = Lock(())

    init(dataDirectory: String) {
        self.directory = dataDirectory + "/" + Self.directoryName
        self.path = directory + "/" + Self.fileName
    }

    /// Appends `rejections` of `block`; returns the error if the spool could not be written (the caller
    /// counts the events as dropped then: there is nowhere else to keep them).
    func append(_ rejections: [SinkRejection], of block: SinkBlock, sink: String) -> WALIOError? {
        guard !rejections.isEmpty else { return nil }
        var out: [UInt8] = []
        for rejection in rejections where block.events.indices.contains(rejection.eventIndex) {
            out.append(contentsOf: "{\"reason\":\"".utf8)
            WALLineEncoder.appendEscaped(rejection.reason, to: &out)
            out.append(contentsOf: "\",\"sink\":\"".utf8)
            WALLineEncoder.appendEscaped(sink, to: &out)
            out.append(contentsOf: "\",\"event\":".utf8)
            out.append(contentsOf: block.line(of: rejection.eventIndex))
            out.append(contentsOf: "}\n".utf8)
        }
        return lock.withLock { _ -> WALIOError? in
            do throws(WALIOError) {
                try FileSystemCalls.createDirectories(atPath: directory)
                let descriptor = try FileSystemCalls.openForWriting(path, flags: O_CREAT | O_APPEND)
                defer { FileSystemCalls.closeDescriptor(descriptor) }
                try FileSystemCalls.writeAll(descriptor, out, path: path)
                while fdatasync(descriptor) != 0 {
                    if currentErrno() != EINTR { throw WALIOError.lastError("fdatasync", path) }
                }
                return nil
            } catch {
                return error
            }
        }
    }

    /// Appends and counts `rejected` by reason; if the spool cannot be written the events are counted as
    /// dropped, since there is nowhere else to keep them.
    func setAside(_ rejected: [SinkRejection], of block: SinkBlock, sink: String, observer: any PipelineObserver) {
        guard !rejected.isEmpty else { return }
        if let error = append(rejected, of: block, sink: sink) {
            observer.walWriteFailed(.writeFailed(error.description))
            observer.eventsDropped(events: rejected.count, reason: "dead_letter_write_failed")
            return
        }
        var byReason: [String: Int] = [:]
        for rejection in rejected { byReason[rejection.reason, default: 0] += 1 }
        for (reason, count) in byReason { observer.deadLettered(sink: sink, events: count, reason: reason) }
    }
}
