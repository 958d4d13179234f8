import CRdKafka
import Dispatch
import Locking

/// Delivers blocks of canonical events to Kafka through one idempotent `acks=all` librdkafka producer.
///
/// `submit` maps a block to records (``KafkaRecordPlan``), hands each to librdkafka (which copies it) and
/// returns at once; it never waits for a broker. Each record's delivery report, or its synchronous refusal,
/// is recorded against its block, and when the last record of a block has its outcome the block's
/// completion runs with a ``KafkaBlockResult``: delivered, retriable failure, or permanent failure with the
/// cause of each failed event. librdkafka retries retriable errors itself until `message.timeout.ms`.
///
/// Threads: one poll loop on the producer's own queue serves delivery reports, statistics and errors, and
/// runs every completion (never inside `submit`). A fatal idempotence error (the producer can no longer
/// guarantee order without gaps) makes the poll loop replace the librdkafka handle: it takes back every
/// record the old handle held (queued or in flight, through purge) and produces them again, with the same
/// tickets, on a new one; records that were in flight may then reach Kafka twice (at-least-once).
///
/// Call ``close(deadline:completion:)`` before dropping the producer: the poll loop keeps it alive.
public final class KafkaProducer: @unchecked Sendable {  // shared state sits in `state`; `stash` and `purgingForClose` are touched only on the poll queue
    public typealias Completion = @Sendable (KafkaBlockResult) -> Void

    struct State {
        /// nil once closed (or, in the rare case, when a rebuild could not create a handle).
        var handle: OpaquePointer? {
            get { client?.pointer }
            set { client = newValue.map(ClientHandle.init) }
        }
        private var client: ClientHandle?
        var closed = false
        /// Set by a fatal error (error callback or a `_FATAL` produce); the poll loop rebuilds.
        var fatal: (error: KafkaError, reason: String)?
        /// While the poll loop replaces the handle, submitted records wait here.
        var rebuilding = false
        var held: [HeldRecord] = []
        var outstandingBlocks = 0
        /// Blocks whose every record failed synchronously: the poll loop completes them.
        var readyBlocks: [PendingBlock] = []
        var flushWaiters: [(deadline: ContinuousClock.Instant, completion: @Sendable (Bool) -> Void)] = []
        var closeRequest: (deadline: ContinuousClock.Instant, completion: @Sendable () -> Void)?
        var statistics = KafkaProducerStatistics(queuedRecords: 0, brokers: 0, brokersUp: 0)
    }

    /// An `rd_kafka_t`; librdkafka's handles may be used from any thread.
    struct ClientHandle: @unchecked Sendable {  // librdkafka handles are thread-safe
        let pointer: OpaquePointer
    }

    /// How long one `rd_kafka_poll` waits for events; bounds how late a flush or close deadline is noticed.
    static let pollIntervalMilliseconds: Int32 = 50
    /// How long taking records back from a handle (purge, then their reports) may take.
    static let drainTimeout: Duration = .seconds(30)

    public let configuration: KafkaProducerConfiguration
    private let properties: [KafkaProperty]
    private let observer: any KafkaProducerObserver
    private let state = Lock(State())
    private let pollQueue = DispatchQueue(label: "kelpie.kafka.poll", qos: .userInitiated)
    /// Records taken back from a fatally failed handle, produced again after the rebuild. Poll queue only.
    private var stash: [HeldRecord] = []
    /// True while `close` purges: purged records then fail (retriable) instead of being held. Poll queue only.
    private var purgingForClose = false

    /// The librdkafka this binary links, e.g. "2.8.0".
    public static var librdkafkaVersion: String { String(cString: rd_kafka_version_str()) }

    /// Checks the configuration, creates the librdkafka producer and starts the poll loop. No broker is
    /// contacted yet: an unreachable cluster shows in statistics and delivery reports, not here.
    public init(
        configuration: KafkaProducerConfiguration, observer: (any KafkaProducerObserver)? = nil
    ) throws(KafkaConfigurationError) {
        self.configuration = configuration
        self.properties = try configuration.librdkafkaProperties()
        self.observer = observer ?? NoopKafkaProducerObserver()
        let handle = try makeHandle()
        state.withLock { $0.handle = handle }
        pollQueue.async { self.pollLoop() }
    }

    /// The last statistics snapshot (zeros until the first arrives).
    public var statistics: KafkaProducerStatistics { state.withLock { $0.statistics } }

    /// True once ``close(deadline:completion:)`` has begun.
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Blocks submitted and not yet completed.
    public var outstandingBlocks: Int { state.withLock { $0.outstandingBlocks } }

    /// Hands a block to librdkafka; `completion` runs once on the poll thread when every event has its
    /// outcome. After `close` every event fails with the retriable `_DESTROY`.
    public func submit(_ events: [KafkaEvent], completion: @escaping Completion) {
        let plan = KafkaRecordPlan(
            events: events, topic: configuration.topic, keyMode: configuration.keyMode,
            batchEvents: configuration.batchEvents
        )
        let block = PendingBlock(
            eventCount: events.count, eventIndicesByRecord: plan.records.map(\.eventIndices), completion: completion
        )
        let now = ContinuousClock.now
        for (index, record) in plan.records.enumerated() {
            (block.tickets + index).initialize(
                to: RecordTicket(
                    block: Unmanaged.passUnretained(block), record: index, events: record.eventIndices.count,
                    enqueuedAt: now
                )
            )
        }
        // Released when the block completes.
        _ = Unmanaged.passRetained(block)
        let completeNow = state.withLock { state -> Bool in
            state.outstandingBlocks += 1
            if plan.records.isEmpty { state.readyBlocks.append(block) }
            for (index, record) in plan.records.enumerated() {
                produce(record, of: events, ticket: block.tickets + index, state: &state)
            }
            // After close finished there is no poll loop left to complete the block.
            return state.handle == nil && state.closed
        }
        if completeNow { completeReadyBlocks() }
    }

    /// Calls `completion(true)` on the poll thread once every submitted block has completed, or
    /// `completion(false)` at `deadline`.
    public func flush(deadline: ContinuousClock.Instant, completion: @escaping @Sendable (Bool) -> Void) {
        let finished = state.withLock { state -> Bool? in
            if state.handle == nil && state.closed { return state.outstandingBlocks == 0 }
            state.flushWaiters.append((deadline, completion))
            return nil
        }
        if let finished { completion(finished) }
    }

    /// Stops accepting blocks, waits until every block has completed or `deadline` passes, then takes back
    /// what librdkafka still holds (those events complete as retriable failures, `_PURGE_QUEUE` or
    /// `_PURGE_INFLIGHT`), destroys the handle and calls `completion` on the poll thread.
    public func close(deadline: ContinuousClock.Instant, completion: @escaping @Sendable () -> Void) {
        let alreadyClosed = state.withLock { state -> Bool in
            if state.closed { return true }
            state.closed = true
            state.closeRequest = (deadline, completion)
            return false
        }
        if alreadyClosed { completion() }
    }

    /// Triggers librdkafka's fabricated fatal idempotence error, so tests can exercise the rebuild.
    func triggerFatalErrorForTesting(reason: String) {
        // Under the lock: a rebuild marks itself under it before it destroys the handle.
        state.withLock { state in
            guard let handle = state.handle, !state.rebuilding else { return }
            _ = rd_kafka_test_fatal_error(handle, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, reason)
        }
    }

    // MARK: producing

    /// Produces one planned record, or holds it (rebuild under way), or records its synchronous failure.
    private func produce(
        _ record: KafkaRecordPlan.Record, of events: [KafkaEvent], ticket: UnsafeMutablePointer<RecordTicket>,
        state: inout State
    ) {
        let first = events[record.eventIndices[0]]
        let packed = record.eventIndices.count > 1
        let headers = Self.makeHeaders(
            dataset: first.dataset, keyID: first.keyID,
            contentType: packed ? KafkaRecordFormat.packedEventsContentType : KafkaRecordFormat.singleEventContentType
        )
        func value() -> [UInt8] {
            guard packed else { return first.value }
            var joined: [UInt8] = []
            joined.reserveCapacity(record.eventIndices.reduce(0) { $0 + events[$1].value.count + 1 })
            for (position, index) in record.eventIndices.enumerated() {
                if position > 0 { joined.append(KafkaRecordFormat.packedEventSeparator) }
                joined.append(contentsOf: events[index].value)
            }
            return joined
        }
        func hold() {
            state.held.append(
                HeldRecord(topic: record.topic, key: record.key.map { Array($0.utf8) }, value: value(), headers: headers, ticket: ticket)
            )
        }
        guard let handle = state.handle, !state.closed else {
            rd_kafka_headers_destroy(headers)
            failSynchronously(ticket, KafkaError(RD_KAFKA_RESP_ERR__DESTROY), state: &state)
            return
        }
        if state.rebuilding {
            hold()
            return
        }
        let bytes = value()
        var key = record.key
        let error = bytes.withUnsafeBytes { valueBytes in
            if key == nil {
                return Self.produce(handle, topic: record.topic, key: nil, value: valueBytes, headers: headers, ticket: ticket)
            }
            return key!.withUTF8 { keyBytes in
                Self.produce(
                    handle, topic: record.topic, key: UnsafeRawBufferPointer(keyBytes), value: valueBytes,
                    headers: headers, ticket: ticket
                )
            }
        }
        switch error {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
            break
        case RD_KAFKA_RESP_ERR__FATAL:
            if state.fatal == nil { state.fatal = Self.fatalError(of: handle) }
            hold()
        default:
            rd_kafka_headers_destroy(headers)
            failSynchronously(ticket, KafkaError(error), state: &state)
        }
    }

    /// One `rd_kafka_produceva` (the variadic `rd_kafka_producev` does not import); librdkafka copies key and
    /// value; `headers` becomes librdkafka's on success.
    private static func produce(
        _ handle: OpaquePointer, topic: String, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer,
        headers: OpaquePointer?, ticket: UnsafeMutablePointer<RecordTicket>
    ) -> rd_kafka_resp_err_t {
        topic.withCString { topicName in
            withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 6) { vus in
                var count = 0
                func add(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
                    var vu = rd_kafka_vu_t()
                    vu.vtype = type
                    fill(&vu)
                    (vus.baseAddress! + count).initialize(to: vu)
                    count += 1
                }
                add(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = topicName }
                add(RD_KAFKA_VTYPE_VALUE) {
                    $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                    $0.u.mem.size = value.count
                }
                if let key {
                    add(RD_KAFKA_VTYPE_KEY) {
                        $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                        $0.u.mem.size = key.count
                    }
                }
                if let headers { add(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = headers } }
                add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = UnsafeMutableRawPointer(ticket) }
                add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
                let error = rd_kafka_produceva(handle, vus.baseAddress, count)
                let code = rd_kafka_error_code(error)
                if error != nil { rd_kafka_error_destroy(error) }
                return code
            }
        }
    }

    private static func makeHeaders(dataset: String, keyID: String, contentType: String) -> OpaquePointer? {
        let headers = rd_kafka_headers_new(3)
        for (name, value) in [
            (KafkaRecordFormat.datasetHeader, dataset), (KafkaRecordFormat.keyIDHeader, keyID),
            (KafkaRecordFormat.contentTypeHeader, contentType),
        ] {
            var value = value
            _ = value.withUTF8 { bytes in rd_kafka_header_add(headers, name, -1, bytes.baseAddress, bytes.count) }
        }
        return headers
    }

    private static func fatalError(of handle: OpaquePointer) -> (error: KafkaError, reason: String) {
        var reason = [CChar](repeating: 0, count: 512)
        let code = rd_kafka_fatal_error(handle, &reason, reason.count)
        return (KafkaError(code), String(nulTerminated: reason))
    }

    // MARK: outcomes

    /// A record librdkafka refused at produce time (too large, queue full, …); runs under the state lock.
    private func failSynchronously(_ ticket: UnsafeMutablePointer<RecordTicket>, _ error: KafkaError, state: inout State) {
        observer.recordFailed(events: ticket.pointee.events, error: error)
        let block = ticket.pointee.block.takeUnretainedValue()
        if block.recordFinished(ticket.pointee.record, error: error) { state.readyBlocks.append(block) }
    }

    /// A record's outcome from a delivery report (or from close/rebuild giving up on it).
    private func finish(_ ticket: UnsafeMutablePointer<RecordTicket>, error: KafkaError?, bytes: Int) {
        let record = ticket.pointee
        if let error {
            observer.recordFailed(events: record.events, error: error)
        } else {
            observer.recordDelivered(events: record.events, bytes: bytes, latency: ContinuousClock.now - record.enqueuedAt)
        }
        let block = record.block.takeUnretainedValue()
        if block.recordFinished(record.record, error: error) { complete(block) }
    }

    private func complete(_ block: PendingBlock) {
        block.completion(block.result())
        Unmanaged.passUnretained(block).release()
        state.withLock { $0.outstandingBlocks -= 1 }
    }

    private func completeReadyBlocks() {
        for block in state.withLock({ state in defer { state.readyBlocks = [] }; return state.readyBlocks }) {
            complete(block)
        }
    }

    // MARK: the poll loop

    private func pollLoop() {
        while let handle = state.withLock({ $0.handle }) {
            rd_kafka_poll(handle, Self.pollIntervalMilliseconds)
            completeReadyBlocks()
            if let fatal = state.withLock({ $0.fatal }) { rebuild(after: fatal) }
            serveFlushWaiters()
            let closeDue = state.withLock { state -> Bool in
                guard let request = state.closeRequest else { return false }
                return state.outstandingBlocks == 0 || ContinuousClock.now >= request.deadline
            }
            if closeDue {
                shutDown()
                return
            }
        }
    }

    private func serveFlushWaiters() {
        let now = ContinuousClock.now
        let due = state.withLock { state -> [(@Sendable (Bool) -> Void, Bool)] in
            guard !state.flushWaiters.isEmpty else { return [] }
            let empty = state.outstandingBlocks == 0
            var due: [(@Sendable (Bool) -> Void, Bool)] = []
            state.flushWaiters.removeAll { waiter in
                if empty || now >= waiter.deadline {
                    due.append((waiter.completion, empty))
                    return true
                }
                return false
            }
            return due
        }
        for (completion, flushed) in due { completion(flushed) }
    }

    /// Replaces a handle that hit a fatal error, keeping every record it held.
    private func rebuild(after fatal: (error: KafkaError, reason: String)) {
        let old = state.withLock { state -> OpaquePointer? in
            state.rebuilding = true
            return state.handle
        }
        guard let old else { return }
        takeBack(from: old)
        rd_kafka_destroy(old)
        let replacement: OpaquePointer?
        do { replacement = try makeHandle() } catch {
            observer.clientError(fatal.error, reason: "rebuilding the producer failed: \(error)")
            replacement = nil
        }
        var records = stash
        stash = []
        let resubmitted = state.withLock { state -> Int in
            records += state.held
            state.held = []
            state.handle = replacement
            state.fatal = nil
            state.rebuilding = false
            if replacement == nil { state.closed = true }
            for record in records { produceAgain(record, state: &state) }
            return records.count
        }
        completeReadyBlocks()
        observer.producerRebuilt(after: fatal.error, reason: fatal.reason, resubmittedRecords: resubmitted)
    }

    /// Purges everything `handle` holds and serves the resulting delivery reports (which stash the records
    /// after a fatal error, or fail them while closing). Returns how many records were still queued.
    @discardableResult
    private func takeBack(from handle: OpaquePointer) -> Int32 {
        let queued = rd_kafka_outq_len(handle)
        rd_kafka_purge(handle, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
        let deadline = ContinuousClock.now + Self.drainTimeout
        while rd_kafka_outq_len(handle) > 0, ContinuousClock.now < deadline {
            rd_kafka_poll(handle, 10)
        }
        return queued
    }

    /// Produces a held record on the current handle (state lock held by the caller).
    private func produceAgain(_ record: HeldRecord, state: inout State) {
        guard let handle = state.handle, !state.closed || state.closeRequest != nil else {
            if let headers = record.headers { rd_kafka_headers_destroy(headers) }
            failSynchronously(record.ticket, KafkaError(RD_KAFKA_RESP_ERR__DESTROY), state: &state)
            return
        }
        let error = record.value.withUnsafeBytes { value in
            guard let key = record.key else {
                return Self.produce(handle, topic: record.topic, key: nil, value: value, headers: record.headers, ticket: record.ticket)
            }
            return key.withUnsafeBytes { key in
                Self.produce(handle, topic: record.topic, key: key, value: value, headers: record.headers, ticket: record.ticket)
            }
        }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            if let headers = record.headers { rd_kafka_headers_destroy(headers) }
            failSynchronously(record.ticket, KafkaError(error), state: &state)
        }
    }

    private func shutDown() {
        guard let handle = state.withLock({ $0.handle }) else { return }
        purgingForClose = true
        takeBack(from: handle)
        // Records held for a rebuild that will not happen now.
        let held = stash + state.withLock { state in defer { state.held = [] }; return state.held }
        stash = []
        for record in held {
            if let headers = record.headers { rd_kafka_headers_destroy(headers) }
            finish(record.ticket, error: KafkaError(RD_KAFKA_RESP_ERR__PURGE_QUEUE), bytes: 0)
        }
        completeReadyBlocks()
        rd_kafka_destroy(handle)
        let (request, waiters) = state.withLock { state in
            state.handle = nil
            defer { state.flushWaiters = [] }
            return (state.closeRequest, state.flushWaiters)
        }
        let flushed = outstandingBlocks == 0
        for waiter in waiters { waiter.completion(flushed) }
        request?.completion()
    }

    // MARK: librdkafka callbacks (all but the log callback run inside rd_kafka_poll on the poll thread)

    private func makeHandle() throws(KafkaConfigurationError) -> OpaquePointer {
        let conf = try KafkaClientConfiguration.make(properties)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_dr_msg_cb(conf) { handle, message, opaque in
            guard let handle, let message, let opaque else { return }
            Unmanaged<KafkaProducer>.fromOpaque(opaque).takeUnretainedValue().deliveryReport(handle, message)
        }
        rd_kafka_conf_set_error_cb(conf) { handle, code, reason, opaque in
            guard let handle, let opaque else { return }
            let reason = reason.map { String(cString: $0) } ?? ""
            Unmanaged<KafkaProducer>.fromOpaque(opaque).takeUnretainedValue().clientError(handle, code: code, reason: reason)
        }
        rd_kafka_conf_set_stats_cb(conf) { handle, json, length, opaque in
            guard let handle, let json, let opaque else { return 0 }
            let producer = Unmanaged<KafkaProducer>.fromOpaque(opaque).takeUnretainedValue()
            producer.statisticsReported(handle, json: UnsafeRawBufferPointer(start: json, count: length))
            return 0  // librdkafka frees the JSON
        }
        rd_kafka_conf_set_log_cb(conf) { handle, level, facility, message in
            guard let handle, let opaque = rd_kafka_opaque(handle) else { return }
            Unmanaged<KafkaProducer>.fromOpaque(opaque).takeUnretainedValue().observer.clientLog(
                level: level, facility: facility.map { String(cString: $0) } ?? "",
                message: message.map { String(cString: $0) } ?? ""
            )
        }
        return try KafkaClientConfiguration.client(RD_KAFKA_PRODUCER, conf: conf)
    }

    private func deliveryReport(_ handle: OpaquePointer, _ message: UnsafePointer<rd_kafka_message_t>) {
        guard let opaque = message.pointee._private else { return }
        let ticket = opaque.assumingMemoryBound(to: RecordTicket.self)
        let code = message.pointee.err
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else {
            finish(ticket, error: nil, bytes: message.pointee.len)
            return
        }
        let takenBack = code == RD_KAFKA_RESP_ERR__PURGE_QUEUE || code == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT
            || code == RD_KAFKA_RESP_ERR__FATAL
        if takenBack, !purgingForClose, rd_kafka_fatal_error(handle, nil, 0) != RD_KAFKA_RESP_ERR_NO_ERROR {
            stash.append(HeldRecord(message: message, ticket: ticket))
            state.withLock { state in
                if state.fatal == nil { state.fatal = Self.fatalError(of: handle) }
            }
            return
        }
        finish(ticket, error: KafkaError(code), bytes: message.pointee.len)
    }

    private func clientError(_ handle: OpaquePointer, code: Int32, reason: String) {
        let error = KafkaError(code: code)
        observer.clientError(error, reason: reason)
        if error.code == RD_KAFKA_RESP_ERR__FATAL.rawValue {
            let fatal = Self.fatalError(of: handle)
            state.withLock { state in
                if state.fatal == nil { state.fatal = fatal }
            }
        }
    }

    private func statisticsReported(_ handle: OpaquePointer, json: UnsafeRawBufferPointer) {
        let brokers = KafkaBrokerStates(statistics: json)
        let snapshot = KafkaProducerStatistics(
            queuedRecords: Int(rd_kafka_outq_len(handle)), brokers: brokers.brokers, brokersUp: brokers.brokersUp
        )
        state.withLock { $0.statistics = snapshot }
        observer.statistics(snapshot)
    }
}
