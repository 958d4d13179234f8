/// The writer queue's side of the WAL: the active segment, the closed ones, rotation, retention, syncing.
/// Used only from the pipeline's writer queue, so it has no locks of its own.
final class WALWriter {
    struct ActiveSegment {
        var file: any WALFile
        var sequence: UInt64
        var openedAt: ContinuousClock.Instant
        /// Bytes known to be on stable storage (after the last successful fdatasync).
        var syncedSize: Int64
        /// Submissions written since the last fdatasync (what the next `walSynced` reports).
        var unsyncedRequests: Int
    }

    let directory: String
    let ackMode: AckMode
    let segmentMaxBytes: Int64
    let segmentMaxAge: Duration
    let retentionMaxBytes: Int64
    let memoryModeSyncInterval: Duration
    private let storage: any WALStorage
    private let observer: any PipelineObserver
    private let now: @Sendable () -> ContinuousClock.Instant
    /// fdatasync latency is measured on the real clock even when tests inject `now`.
    private let latencyClock = ContinuousClock()

    private(set) var active: ActiveSegment?
    private(set) var closed: [ClosedSegment]
    private var closedBytes: Int64
    private var nextSequence: UInt64
    private var lastSyncAt: ContinuousClock.Instant
    /// Holds the data directory's flock until `finish()` (or deinit).
    private var lockDescriptor: Int32

    init(
        configuration: PipelineConfiguration,
        recovered: [ClosedSegment],
        highestSequence: UInt64,
        lockDescriptor: Int32,
        storage: any WALStorage,
        observer: any PipelineObserver,
        now: @escaping @Sendable () -> ContinuousClock.Instant
    ) {
        self.directory = configuration.dataDirectory
        self.ackMode = configuration.ackMode
        self.segmentMaxBytes = Int64(max(configuration.segmentMaxBytes, 1))
        self.segmentMaxAge = configuration.segmentMaxAge
        self.retentionMaxBytes = configuration.retentionMaxBytes
        self.memoryModeSyncInterval = configuration.memoryModeSyncInterval
        self.storage = storage
        self.observer = observer
        self.now = now
        self.closed = recovered
        self.closedBytes = recovered.reduce(0) { $0 + $1.size }
        // A restart always begins a new segment after the highest existing sequence.
        self.nextSequence = max(highestSequence, recovered.last?.sequence ?? 0) + 1
        self.lastSyncAt = now()
        self.lockDescriptor = lockDescriptor
    }

    deinit {
        active?.file.close()
        releaseLock()
    }

    var walBytes: Int64 { closedBytes + (active?.file.size ?? 0) }
    var segmentCount: Int { closed.count + (active == nil ? 0 : 1) }

    /// Writes a round of batches, rotating by size between batches (a batch never spans two segments; one
    /// larger than `segmentMaxBytes` gets a segment to itself), with one writev per segment touched. With
    /// ack=durable the round ends with one fdatasync. Returns each batch's outcome, aligned with `writes`.
    func writeRound(_ writes: [PendingWrite]) -> [Result<Void, PipelineError>] {
        var results = [Result<Void, PipelineError>](repeating: .success(()), count: writes.count)
        var awaitingSync: [Int] = []
        var chunks: [UnsafeRawBufferPointer] = []
        chunks.reserveCapacity(writes.count)
        var index = 0
        while index < writes.count {
            if let current = active, current.file.size > 0,
               current.file.size + Int64(writes[index].lines.count) > segmentMaxBytes {
                closeActive(awaitingSync: &awaitingSync, results: &results)
            }
            if active == nil {
                do throws(WALIOError) {
                    try openSegment()
                } catch {
                    let failure = PipelineError.writeFailed(error.description)
                    observer.walWriteFailed(failure)
                    for failed in index..<writes.count { results[failed] = .failure(failure) }
                    break
                }
            }
            guard let file = active?.file else { break }

            var end = index
            var groupBytes: Int64 = 0
            var groupEvents = 0
            chunks.removeAll(keepingCapacity: true)
            while end < writes.count {
                let bytes = Int64(writes[end].lines.count)
                if end > index && file.size + groupBytes + bytes > segmentMaxBytes { break }
                groupBytes += bytes
                groupEvents += writes[end].eventCount
                chunks.append(writes[end].lines.bytes)
                end += 1
            }
            let sizeBefore = file.size
            do throws(WALIOError) {
                try file.append(chunks)
                observer.walAppended(events: groupEvents, bytes: Int(groupBytes))
                awaitingSync.append(contentsOf: index..<end)
                active?.unsyncedRequests += end - index
            } catch {
                let failure = PipelineError.writeFailed(error.description)
                observer.walWriteFailed(failure)
                for failed in index..<end { results[failed] = .failure(failure) }
                discardFailedAppend(restoringSize: sizeBefore, awaitingSync: &awaitingSync, results: &results)
            }
            index = end
        }
        if ackMode == .durable && !awaitingSync.isEmpty {
            syncActive(awaitingSync: &awaitingSync, results: &results)
        }
        return results
    }

    /// Closes a non-empty active segment older than `segmentMaxAge`.
    func rotateIfAged() {
        guard let current = active, current.file.size > 0, now() - current.openedAt >= segmentMaxAge else { return }
        var noneAwaiting: [Int] = []
        var noResults: [Result<Void, PipelineError>] = []
        closeActive(awaitingSync: &noneAwaiting, results: &noResults)
    }

    /// ack=memory: fdatasync written data at most every `memoryModeSyncInterval`.
    func syncIfDue() {
        guard let current = active, current.file.size > current.syncedSize,
              now() - lastSyncAt >= memoryModeSyncInterval
        else { return }
        var noneAwaiting: [Int] = []
        var noResults: [Result<Void, PipelineError>] = []
        syncActive(awaitingSync: &noneAwaiting, results: &noResults)
    }

    /// Spool as the sink (`deliveredBefore` nil): deletes the oldest closed segments while the total is over
    /// `retentionMaxBytes`. Remote sink: deletes exactly the closed segments the forwarder has moved past
    /// (sequence below `deliveredBefore`), whatever the total. Never the active one.
    func enforceRetention(deliveredBefore: UInt64? = nil) {
        var deletedCount = 0
        var deletedBytes: Int64 = 0
        func deletable(_ segment: ClosedSegment) -> Bool {
            if let deliveredBefore { return segment.sequence < deliveredBefore }
            return walBytes > retentionMaxBytes
        }
        while let oldest = closed.first, deletable(oldest) {
            do throws(WALIOError) {
                try storage.removeFile(atPath: oldest.path)
            } catch {
                observer.walWriteFailed(.writeFailed(error.description))
                break
            }
            closed.removeFirst()
            closedBytes -= oldest.size
            deletedCount += 1
            deletedBytes += oldest.size
        }
        guard deletedCount > 0 else { return }
        do throws(WALIOError) {
            try storage.syncDirectory(atPath: directory)
        } catch {
            observer.walWriteFailed(.writeFailed(error.description))
        }
        observer.segmentsDeleted(count: deletedCount, bytes: deletedBytes)
    }

    /// On stop: fdatasync and close the active segment, release the directory lock.
    func finish() {
        var noneAwaiting: [Int] = []
        var noResults: [Result<Void, PipelineError>] = []
        if active != nil { closeActive(awaitingSync: &noneAwaiting, results: &noResults) }
        releaseLock()
    }

    // MARK: - Segment lifecycle

    private func openSegment() throws(WALIOError) {
        let sequence = nextSequence
        nextSequence += 1
        let path = directory + "/" + SegmentFileName.name(sequence: sequence)
        let file = try storage.createFile(atPath: path)
        do throws(WALIOError) {
            try storage.syncDirectory(atPath: directory)
        } catch {
            file.close()
            try? storage.removeFile(atPath: path)
            throw error
        }
        active = ActiveSegment(file: file, sequence: sequence, openedAt: now(), syncedSize: 0, unsyncedRequests: 0)
    }

    /// Rotation: fdatasync what is unsynced (completing `awaitingSync` accordingly), then close.
    private func closeActive(awaitingSync: inout [Int], results: inout [Result<Void, PipelineError>]) {
        guard let current = active else { return }
        if current.file.size > current.syncedSize || !awaitingSync.isEmpty {
            syncActive(awaitingSync: &awaitingSync, results: &results)
        }
        if active != nil { retireActive() }
    }

    /// Moves the active segment to the closed list without syncing (the caller has synced or given up on it).
    private func retireActive() {
        guard let current = active else { return }
        current.file.close()
        closed.append(ClosedSegment(sequence: current.sequence, path: current.file.path, size: current.file.size))
        closedBytes += current.file.size
        active = nil
        observer.segmentRotated()
    }

    private func syncActive(awaitingSync: inout [Int], results: inout [Result<Void, PipelineError>]) {
        guard let current = active else { return }
        let started = latencyClock.now
        do throws(WALIOError) {
            try current.file.sync()
            observer.walSynced(duration: latencyClock.now - started, requests: current.unsyncedRequests)
            active?.syncedSize = current.file.size
            active?.unsyncedRequests = 0
            lastSyncAt = now()
        } catch {
            let failure = PipelineError.writeFailed(error.description)
            observer.walWriteFailed(failure)
            for failed in awaitingSync { results[failed] = .failure(failure) }
            // After a failed fdatasync the unsynced tail's fate is unknown. Durable submissions in it were just
            // refused, so cut it back (no duplicates when clients retry); then continue in a fresh segment so no
            // later line lands after bytes the kernel may have dropped.
            if ackMode == .durable { try? current.file.truncate(toSize: current.syncedSize) }
            retireActive()
        }
        awaitingSync.removeAll(keepingCapacity: true)
    }

    /// After a failed append: cut the torn prefix off, or, if even that fails, make the earlier lines of
    /// this round durable (their submissions are still waiting) and stop using the segment.
    private func discardFailedAppend(
        restoringSize size: Int64, awaitingSync: inout [Int], results: inout [Result<Void, PipelineError>]
    ) {
        guard let current = active else { return }
        do throws(WALIOError) {
            try current.file.truncate(toSize: size)
        } catch {
            observer.walWriteFailed(.writeFailed(error.description))
            if !awaitingSync.isEmpty { syncActive(awaitingSync: &awaitingSync, results: &results) }
            retireActive()
        }
    }

    private func releaseLock() {
        if lockDescriptor >= 0 {
            FileSystemCalls.closeDescriptor(lockDescriptor)
            lockDescriptor = -1
        }
    }
}
