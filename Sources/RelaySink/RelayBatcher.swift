import Pipeline

/// The relay's bookkeeping as a pure value: it cuts the events of the blocks it is given into per-dataset
/// batches, says which batches are ready to send, and, as requests finish, which blocks are done and with
/// what outcome. No I/O and no clock of its own: the caller passes `now`.
///
/// A batch is ready when it holds ``RelayConfiguration/batchEvents`` events or one more would pass
/// ``RelayConfiguration/batchBytes``, when its first event has waited ``RelayConfiguration/linger``, or at
/// once while fewer than `maxInFlight` requests are in flight or waiting (a free slot sends, not lingers). A block is reported
/// when every request carrying one of its events has finished: failed if any of them failed, else delivered
/// with the events the upstream rejected.
struct RelayBatcher {
    /// One event of one block, as carried by a request.
    struct Item: Equatable {
        var block: UInt64
        var event: Int
    }

    /// A sealed batch: the uncompressed JSON array body and the events it carries, in body order.
    struct Request {
        var id: UInt64
        var dataset: String
        var body: [UInt8]
        var items: [Item]
    }

    private struct OpenBatch {
        var dataset: String
        var body: [UInt8]
        var items: [Item]
        var openedAt: ContinuousClock.Instant
    }

    private struct PendingBlock {
        var remaining: Int
        var rejections: [SinkRejection] = []
        var failure: (reason: String, retryAfter: Duration?)?
    }

    let batchEvents: Int
    let batchBytes: Int
    let linger: Duration
    /// Open batches by the dataset's escaped bytes as they appear in canonical lines.
    private var open: [[UInt8]: OpenBatch] = [:]
    private var ready: [Request] = []
    private var blocks: [UInt64: PendingBlock] = [:]
    private var nextRequestID: UInt64 = 0
    private(set) var requestsInFlight = 0

    init(batchEvents: Int, batchBytes: Int, linger: Duration) {
        self.batchEvents = batchEvents
        self.batchBytes = batchBytes
        self.linger = linger
    }

    /// Blocks taken and not yet reported.
    var pendingBlocks: Int { blocks.count }
    var readyRequests: Int { ready.count }

    /// Takes `block` under `id`; returns its outcome at once if it has no events.
    mutating func add(_ block: SinkBlock, id: UInt64, now: ContinuousClock.Instant) -> SinkOutcome? {
        guard !block.events.isEmpty else { return .delivered(rejected: []) }
        blocks[id] = PendingBlock(remaining: block.events.count)
        var lastKey: [UInt8] = []
        var lastDataset = ""
        for index in block.events.indices {
            let keySlice = block.lines[block.events[index].dataset]
            if !keySlice.elementsEqual(lastKey) {
                lastKey = Array(keySlice)
                lastDataset = block.dataset(of: index)
            }
            let itemBytes = BatchItemEncoder.itemByteCount(of: block, event: index)
            if let batch = open[lastKey], batch.body.count + 1 + itemBytes + 1 > batchBytes {
                seal(lastKey)
            }
            var batch = open.removeValue(forKey: lastKey)
                ?? OpenBatch(dataset: lastDataset, body: [UInt8(ascii: "[")], items: [], openedAt: now)
            if batch.items.isEmpty {
                batch.body.reserveCapacity(min(batchBytes, itemBytes * (block.events.count - index) + 2))
            } else {
                batch.body.append(UInt8(ascii: ","))
            }
            BatchItemEncoder.appendItem(of: block, event: index, to: &batch.body)
            batch.items.append(Item(block: id, event: index))
            open[lastKey] = batch
            if batch.items.count >= batchEvents { seal(lastKey) }
        }
        return nil
    }

    /// Seals batches that lingered long enough, and more while a request slot (of `maxInFlight`) would
    /// otherwise stay free: lingering only pays while every slot is busy.
    mutating func sealDue(now: ContinuousClock.Instant, maxInFlight: Int) {
        for (key, batch) in open where now - batch.openedAt >= linger {
            seal(key)
        }
        for key in Array(open.keys) where requestsInFlight + ready.count < maxInFlight {
            seal(key)
        }
    }

    /// When the oldest open batch is due, if any is open.
    var nextLingerDeadline: ContinuousClock.Instant? {
        open.values.map { $0.openedAt + linger }.min()
    }

    /// Up to `limit - requestsInFlight` ready requests, oldest first, now counted in flight.
    mutating func takeReady(limit: Int) -> [Request] {
        let count = min(max(limit - requestsInFlight, 0), ready.count)
        guard count > 0 else { return [] }
        let taken = Array(ready.prefix(count))
        ready.removeFirst(count)
        requestsInFlight += count
        return taken
    }

    /// Applies a finished request's verdict; returns the blocks now complete with their outcomes.
    mutating func finished(_ request: Request, verdict: UpstreamVerdict) -> [(id: UInt64, outcome: SinkOutcome)] {
        requestsInFlight -= 1
        var touched: [UInt64] = []
        for (position, item) in request.items.enumerated() {
            guard var block = blocks[item.block] else { continue }
            switch verdict {
            case .perEvent(let statuses):
                let status = statuses[position]
                switch status {
                case 200..<300: break
                case 400..<500:
                    block.rejections.append(SinkRejection(
                        eventIndex: item.event, reason: UpstreamVerdict.rejectionReason(status: status)
                    ))
                default:
                    if block.failure == nil { block.failure = ("upstream_event_\(status / 100)xx", nil) }
                }
            case .rejectAll(let reason):
                block.rejections.append(SinkRejection(eventIndex: item.event, reason: reason))
            case .failed(let reason, let retryAfter):
                let longest = [block.failure?.retryAfter, retryAfter].compactMap { $0 }.max()
                block.failure = (block.failure?.reason ?? reason, longest)
            }
            block.remaining -= 1
            blocks[item.block] = block
            if block.remaining == 0 { touched.append(item.block) }
        }
        return touched.compactMap { id in
            guard let block = blocks.removeValue(forKey: id) else { return nil }
            if let failure = block.failure {
                return (id, .failed(reason: failure.reason, retryAfter: failure.retryAfter))
            }
            return (id, .delivered(rejected: block.rejections.sorted { $0.eventIndex < $1.eventIndex }))
        }
    }

    /// Forgets every block, batch and request; for closing (the caller reports the blocks).
    mutating func removeAll() {
        blocks.removeAll()
        open.removeAll()
        ready.removeAll()
    }

    private mutating func seal(_ key: [UInt8]) {
        guard var batch = open.removeValue(forKey: key) else { return }
        batch.body.append(UInt8(ascii: "]"))
        ready.append(Request(id: nextRequestID, dataset: batch.dataset, body: batch.body, items: batch.items))
        nextRequestID += 1
    }
}
