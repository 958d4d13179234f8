import Dispatch
import EventModel
public import Logging
import Locking
public import Pipeline
public import RelaySink
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Self-telemetry (`--self-telemetry-url`): one wide event per request and a process event every
/// ``SelfTelemetryConfiguration/processInterval``, sent to a Honeycomb-compatible API through the relay's
/// client (a ``RelaySink`` of its own). docs/dogfood.md.
///
/// The lanes only decide sampling (atomics) and append kept events to a bounded queue under a lock held for
/// an append; JSON encoding, compression and sending run on this reporter's queue and the sender's thread.
/// Nothing waits on the upstream: a full queue drops the new event, a failed request drops its events, and
/// every drop is counted through the observer. Nothing is retried: a retry would compete with fresher events.
public final class SelfTelemetryReporter: Sendable {
    public let configuration: SelfTelemetryConfiguration
    private let sink: any Sink
    private let encoder: TelemetryLineEncoder
    private let observer: (any SelfTelemetryObserver)?
    private let processSample: @Sendable () -> ProcessSample
    private let buffer: Lock<TelemetryBuffer>
    private let queue = DispatchQueue(label: "kelpie.self-telemetry", qos: .utility)
    private let loop: SenderLoop
    /// Requests seen since start (never reset: the process event takes differences). A success costs one
    /// atomic add, which also picks the 1 in N to keep; the rest (errors, refusals) one or two more.
    private let successes = Atomic<Int>(0)
    private let others = Atomic<Int>(0)
    private let errors = Atomic<Int>(0)
    private let refusals = Atomic<Int>(0)
    /// Dropped since the last process event.
    private let dropped = Atomic<Int>(0)

    /// State of the loop on `queue`.
    private final class SenderLoop: @unchecked Sendable {  // unchecked: every member is touched only on the reporter's queue
        var running = false
        var stopped = false
        let startedAt = ContinuousClock.now
        var lastProcessAt = ContinuousClock.now
        var lastCPUSeconds: Double?
        /// The request counters at the last process event.
        var counted = (requests: 0, errors: 0, refusals: 0)
    }

    /// `sink` sends the events (``makeSender(configuration:userAgent:logger:)``; tests pass their own);
    /// `processSample` reads the process's figures for the process event, on the reporter's queue.
    public init(
        configuration: SelfTelemetryConfiguration, context: DeploymentContext, sink: any Sink,
        observer: (any SelfTelemetryObserver)?, processSample: @escaping @Sendable () -> ProcessSample
    ) {
        self.configuration = configuration
        self.sink = sink
        self.encoder = TelemetryLineEncoder(
            dataset: configuration.dataset, context: context, maxFieldBytes: configuration.maxFieldBytes
        )
        self.observer = observer
        self.processSample = processSample
        self.buffer = Lock(TelemetryBuffer(capacity: configuration.maxQueuedEvents, blockEvents: configuration.maxEventsPerBlock))
        self.loop = SenderLoop()
    }

    /// The relay's client set up for self-telemetry: small batches, few requests in flight, a short timeout.
    public static func makeSender(
        configuration: SelfTelemetryConfiguration, userAgent: String, logger: Logger
    ) throws(RelayError) -> RelaySink {
        var relay = RelayConfiguration(upstreamURL: configuration.url, apiKey: configuration.apiKey)
        // With a request slot free a block goes at once; while both are busy, blocks join one request of up
        // to half the queue, so a slow upstream gets fewer, larger requests.
        relay.batchEvents = max(configuration.maxEventsPerBlock, configuration.maxQueuedEvents / configuration.maxInFlight)
        relay.linger = .milliseconds(50)
        relay.maxInFlight = configuration.maxInFlight
        relay.timeout = configuration.timeout
        relay.connectTimeout = min(relay.connectTimeout, configuration.timeout)
        // A long Retry-After would only hold events that the queue bound then drops anyway.
        relay.maxRetryAfter = .seconds(30)
        relay.userAgent = userAgent
        relay.failedEventsNote = "self-telemetry events are dropped and counted (kelpie_self_telemetry_dropped_events_total)"
        return try RelaySink(configuration: relay, observer: nil, logger: logger)
    }

    /// Sends the first process event and starts the flush ticks.
    public func start() {
        queue.async { [self] in
            guard !loop.running, !loop.stopped else { return }
            loop.running = true
            emitProcessEvent(now: .now)
            flush()
            scheduleTick()
        }
    }

    // MARK: lanes (any thread)

    /// Counts one answered request and decides whether it is described: the sample rate to send it with, or
    /// nil when sampling leaves it out. Errors (status >= 400) and refusals are always kept, at rate 1.
    public func sampleRate(status: Int, refused: Bool) -> Int? {
        let error = status >= 400
        guard error || refused else {
            let rate = configuration.sampleRate
            return successes.wrappingAdd(1, ordering: .relaxed).oldValue % rate == 0 ? rate : nil
        }
        others.add(1, ordering: .relaxed)
        if error { errors.add(1, ordering: .relaxed) }
        if refused { refusals.add(1, ordering: .relaxed) }
        return 1
    }

    /// Queues a kept request event (see ``sampleRate(status:refused:)``), timed at its start: now less its duration.
    public func record(_ request: RequestEvent, sampleRate: Int) {
        let started = Self.unixNanos() - Int64(Self.nanoseconds(request.duration))
        enqueue(TelemetryEvent(timeUnixNanos: started, sampleRate: sampleRate, body: .request(request)))
    }

    private func enqueue(_ event: TelemetryEvent) {
        switch buffer.withLock({ $0.offer(event) }) {
        case .queued: break
        case .queuedFlushNow: queue.async { [self] in if !loop.stopped { flush() } }
        case .full: drop(1, reason: "queue_full")
        case .closed: drop(1, reason: "shutdown")
        }
    }

    private func drop(_ events: Int, reason: String) {
        guard events > 0 else { return }
        dropped.add(events, ordering: .relaxed)
        observer?.selfTelemetryDropped(events: events, reason: reason)
    }

    // MARK: sender (queue only)

    private func scheduleTick() {
        let nanoseconds = Self.nanoseconds(configuration.flushInterval)
        queue.asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [self] in
            guard !loop.stopped else { return }
            let now = ContinuousClock.now
            if now - loop.lastProcessAt >= configuration.processInterval { emitProcessEvent(now: now) }
            flush()
            scheduleTick()
        }
    }

    private func emitProcessEvent(now: ContinuousClock.Instant) {
        let sample = processSample()
        let interval = loop.lastCPUSeconds == nil ? now - loop.startedAt : now - loop.lastProcessAt
        let seconds = Self.seconds(interval)
        let cpuPercent = loop.lastCPUSeconds.flatMap { last in seconds > 0 ? (sample.cpuSeconds - last) / seconds * 100 : nil }
        loop.lastCPUSeconds = sample.cpuSeconds
        loop.lastProcessAt = now
        let counted = (
            requests: successes.load(ordering: .relaxed) &+ others.load(ordering: .relaxed),
            errors: errors.load(ordering: .relaxed), refusals: refusals.load(ordering: .relaxed)
        )
        let event = ProcessEvent(
            sample: sample, interval: interval, uptime: now - loop.startedAt, cpuPercent: cpuPercent,
            requests: counted.requests &- loop.counted.requests, errors: counted.errors &- loop.counted.errors,
            refusals: counted.refusals &- loop.counted.refusals, telemetryDropped: dropped.exchange(0, ordering: .relaxed),
            telemetryQueued: buffer.withLock { $0.queued }
        )
        loop.counted = counted
        enqueue(TelemetryEvent(timeUnixNanos: Self.unixNanos(), sampleRate: 1, body: .process(event)))
    }

    /// Hands every waiting event to the sender, in blocks.
    private func flush() {
        while true {
            let events = buffer.withLock { $0.takeBlock(maxEvents: configuration.maxEventsPerBlock) }
            guard !events.isEmpty else { break }
            let block = encoder.block(events)
            let count = events.count
            sink.deliver(block) { [self] outcome in finished(count, outcome) }
        }
        observer?.selfTelemetryQueued(events: buffer.withLock { $0.queued })
    }

    /// A block reported by the sender (its thread).
    private func finished(_ count: Int, _ outcome: SinkOutcome) {
        let queued = buffer.withLock { buffer -> Int in
            buffer.finished(events: count)
            return buffer.queued
        }
        switch outcome {
        case .delivered(let rejected):
            observer?.selfTelemetrySent(events: count - rejected.count)
            drop(rejected.count, reason: "rejected")
        case .failed(let reason, _):
            drop(count, reason: reason == "closed" ? "shutdown" : "send_failed")
        }
        observer?.selfTelemetryQueued(events: queued)
    }

    // MARK: stop

    /// Sends what is waiting, waits up to ``SelfTelemetryConfiguration/stopTimeout`` for it, and closes
    /// the sender; events recorded from now on are dropped (`shutdown`). Safe to call more than once.
    public func stop() {
        let first = queue.sync { [self] () -> Bool in
            guard !loop.stopped else { return false }
            loop.stopped = true
            flush()
            return true
        }
        guard first else { return }
        _ = sink.flush(timeout: configuration.stopTimeout)
        sink.close()
        drop(buffer.withLock { $0.close() }, reason: "shutdown")
        observer?.selfTelemetryQueued(events: 0)
    }

    // MARK: clocks

    static func unixNanos() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    static func nanoseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(clamping: seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
