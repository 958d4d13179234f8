import CCurl
import CZstd
import Dispatch
public import Logging
public import Pipeline
import Locking

/// `--sink http`: forwards events to a Honeycomb-compatible API (Honeycomb itself, or another Kelpie) with
/// `POST {upstream}/1/batch/{dataset}`, zstd-compressed JSON arrays of batch items, over keep-alive
/// connections through libcurl's multi interface.
///
/// Threads: `deliver` only appends to an inbox under a lock and wakes the loop (`curl_multi_wakeup`, which
/// libcurl allows from any thread). One loop on the sink's own dispatch queue owns the multi handle, the
/// batcher and every transfer: it batches, starts requests up to ``RelayConfiguration/maxInFlight``, waits
/// in `curl_multi_poll`, reads the answers and reports blocks. Completions run on that loop's thread.
// @unchecked: `multi`/`headers` are touched only on the loop's queue, but for the thread-safe curl_multi_wakeup.
public final class RelaySink: Sink, @unchecked Sendable {
    private struct Inbound {
        var id: UInt64
        var block: SinkBlock
        var completion: @Sendable (SinkOutcome) -> Void
    }

    private struct Shared {
        var inbox: [Inbound] = []
        var nextID: UInt64 = 0
        /// Blocks taken and not yet reported.
        var unreported = 0
        var closing = false
        var health: RelayHealth = .reachable
    }

    public let name = "http"
    public let configuration: RelayConfiguration
    private let observer: (any RelayObserver)?
    private let logger: Logger
    private let shared = Lock(Shared())
    private let queue = DispatchQueue(label: "kelpie.relay.curl", qos: .userInitiated)
    private let reported = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private let multi: UnsafeMutableRawPointer
    private let headers: UnsafeMutablePointer<curl_slist>

    /// libcurl's global initialisation, once per process, before the first handle.
    private static let globalInit: Void = { _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init(configuration: RelayConfiguration, observer: (any RelayObserver)? = nil, logger: Logger) throws(RelayError) {
        if let problem = configuration.problem { throw RelayError("\(problem.setting) \(problem.message)") }
        _ = Self.globalInit
        guard let multi = curl_multi_init() else { throw RelayError("curl_multi_init failed") }
        var list: UnsafeMutablePointer<curl_slist>?
        for header in [
            "Content-Type: application/json", "Content-Encoding: zstd",
            "X-Honeycomb-Team: \(configuration.apiKey)",
            "Expect:", // no 100-continue round trip before the body
        ] {
            list = curl_slist_append(list, header)
        }
        guard let list else {
            curl_multi_cleanup(multi)
            throw RelayError("curl_slist_append failed")
        }
        _ = kelpie_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maxInFlight)
        _ = kelpie_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, configuration.maxInFlight)
        self.multi = multi
        self.headers = list
        self.configuration = configuration
        self.observer = observer
        self.logger = logger
        queue.async { self.run() }
    }

    public func deliver(_ block: SinkBlock, completion: @escaping @Sendable (SinkOutcome) -> Void) {
        shared.withLock { state in
            // After close the block is abandoned: the pipeline counts what its stop deadline left behind.
            guard !state.closing else { return }
            state.inbox.append(Inbound(id: state.nextID, block: block, completion: completion))
            state.nextID += 1
            state.unreported += 1
            // Under the lock: the loop frees the multi handle only after it has seen `closing` under it.
            curl_multi_wakeup(multi)
        }
    }

    public func flush(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while shared.withLock({ $0.unreported }) > 0 {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return false }
            let slice = min(left, .milliseconds(50))
            _ = reported.wait(timeout: .now() + .milliseconds(Self.milliseconds(slice)))
        }
        return true
    }

    /// Stops the loop: transfers in flight are cut, blocks not yet reported are reported failed
    /// (`closed`), later blocks are abandoned. Waits for the loop to finish; safe to call more than once.
    public func close() {
        let first = shared.withLock { state -> Bool in
            guard !state.closing else { return false }
            state.closing = true
            curl_multi_wakeup(multi)
            return true
        }
        guard first else { return }
        stopped.wait()
    }

    public var isReachable: Bool { shared.withLock { $0.health == .reachable } }

    /// What the last answer said about the upstream (our key refused, no connection, fine).
    public var health: RelayHealth { shared.withLock { $0.health } }

    // MARK: - Loop (queue only)

    private func run() {
        var batcher = RelayBatcher(
            batchEvents: configuration.batchEvents, batchBytes: configuration.batchBytes,
            linger: configuration.linger
        )
        var completions: [UInt64: @Sendable (SinkOutcome) -> Void] = [:]
        var transfers: [UnsafeMutableRawPointer: UpstreamTransfer] = [:]
        var idleHandles: [UnsafeMutableRawPointer] = []
        var holdUntil = ContinuousClock.now
        let compressor = ZSTD_createCCtx()
        let clock = ContinuousClock()

        func report(_ outcomes: [(id: UInt64, outcome: SinkOutcome)]) {
            guard !outcomes.isEmpty else { return }
            var calls: [(@Sendable (SinkOutcome) -> Void, SinkOutcome)] = []
            for (id, outcome) in outcomes {
                if let completion = completions.removeValue(forKey: id) { calls.append((completion, outcome)) }
            }
            shared.withLock { $0.unreported -= calls.count }
            for (completion, outcome) in calls { completion(outcome) }
            reported.signal()
        }

        while true {
            let (inbound, closing) = shared.withLock { state -> ([Inbound], Bool) in
                defer { state.inbox.removeAll(keepingCapacity: true) }
                return (state.inbox, state.closing)
            }
            for item in inbound { completions[item.id] = item.completion }
            if closing { break }
            let now = clock.now
            var immediate: [(id: UInt64, outcome: SinkOutcome)] = []
            for item in inbound {
                if let outcome = batcher.add(item.block, id: item.id, now: now) { immediate.append((item.id, outcome)) }
            }
            report(immediate)
            batcher.sealDue(now: now, maxInFlight: configuration.maxInFlight)
            if now >= holdUntil {
                for request in batcher.takeReady(limit: configuration.maxInFlight) {
                    let handle = idleHandles.popLast() ?? curl_easy_init()
                    guard let handle else {
                        report(batcher.finished(request, verdict: .failed(reason: "transport_error", retryAfter: nil)))
                        continue
                    }
                    if let transfer = start(request, handle: handle, compressor: compressor, now: now) {
                        transfers[handle] = transfer
                    } else {
                        idleHandles.append(handle)
                        report(batcher.finished(request, verdict: .failed(reason: "compression_failed", retryAfter: nil)))
                    }
                }
            }

            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                      let transfer = transfers.removeValue(forKey: handle)
                else { continue }
                let result = kelpie_curl_msg_result(message)
                curl_multi_remove_handle(multi, handle)
                idleHandles.append(handle)
                let (verdict, retryAfter) = finish(transfer, result: result, now: clock.now)
                if let retryAfter { holdUntil = max(holdUntil, clock.now + retryAfter) }
                report(batcher.finished(transfer.request, verdict: verdict))
            }
            // Sleep until a socket is ready, a deliver() wakes us, or the earliest linger or hold is due.
            var wait: Duration = .seconds(1)
            if let due = batcher.nextLingerDeadline { wait = min(wait, due - clock.now) }
            if batcher.readyRequests > 0, batcher.requestsInFlight < configuration.maxInFlight {
                wait = min(wait, holdUntil - clock.now)
            }
            _ = curl_multi_poll(multi, nil, 0, Int32(clamping: Self.milliseconds(max(wait, .zero))), nil)
        }

        // Closing: cut what is in flight, report every block not yet reported as failed.
        for (handle, _) in transfers {
            curl_multi_remove_handle(multi, handle)
            curl_easy_cleanup(handle)
        }
        transfers.removeAll()
        for handle in idleHandles { curl_easy_cleanup(handle) }
        // `closing` is set under the same lock deliver() appends under, so the inbox was empty after the last take.
        batcher.removeAll()
        report(completions.keys.map { ($0, SinkOutcome.failed(reason: "closed")) })
        ZSTD_freeCCtx(compressor)
        curl_multi_cleanup(multi)
        curl_slist_free_all(headers)
        stopped.signal()
    }

    /// Compresses `request`'s body and adds a transfer for it; nil if compression failed.
    private func start(
        _ request: RelayBatcher.Request, handle: UnsafeMutableRawPointer, compressor: OpaquePointer?,
        now: ContinuousClock.Instant
    ) -> UpstreamTransfer? {
        let bound = ZSTD_compressBound(request.body.count)
        let body = UnsafeMutableRawBufferPointer.allocate(byteCount: bound, alignment: 1)
        let compressed = request.body.withUnsafeBytes { source in
            ZSTD_compressCCtx(compressor, body.baseAddress, bound, source.baseAddress, source.count,
                              configuration.compressionLevel)
        }
        if ZSTD_isError(compressed) != 0 {
            body.deallocate()
            return nil
        }
        let transfer = UpstreamTransfer(
            request: request, handle: handle, body: body, startedAt: now,
            maxResponseBytes: configuration.maxResponseBytes
        )
        transfer.sentBytes = compressed
        let url = "\(configuration.baseURL)/1/batch/\(DatasetPath.encode(request.dataset))"
        url.withCString { _ = kelpie_curl_easy_setopt_pointer(handle, CURLOPT_URL, $0) }
        configuration.userAgent.withCString { _ = kelpie_curl_easy_setopt_pointer(handle, CURLOPT_USERAGENT, $0) }
        _ = kelpie_curl_easy_setopt_long(handle, CURLOPT_POST, 1)
        _ = kelpie_curl_easy_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(compressed))
        _ = kelpie_curl_easy_setopt_pointer(handle, CURLOPT_POSTFIELDS, body.baseAddress)
        _ = kelpie_curl_easy_setopt_pointer(handle, CURLOPT_HTTPHEADER, headers)
        _ = kelpie_curl_easy_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION, UpstreamTransfer.writeCallback)
        _ = kelpie_curl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(transfer).toOpaque())
        _ = kelpie_curl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(configuration.timeout))
        _ = kelpie_curl_easy_setopt_long(
            handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(min(configuration.connectTimeout, configuration.timeout))
        )
        _ = kelpie_curl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = kelpie_curl_easy_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
        curl_multi_add_handle(multi, handle)
        return transfer
    }

    /// Reads a finished transfer's answer: the verdict for its events and the `Retry-After` to honour.
    private func finish(
        _ transfer: UpstreamTransfer, result: CURLcode, now: ContinuousClock.Instant
    ) -> (UpstreamVerdict, Duration?) {
        var code = 0
        _ = kelpie_curl_easy_getinfo_long(transfer.handle, CURLINFO_RESPONSE_CODE, &code)
        var retryAfterSeconds: curl_off_t = 0
        _ = kelpie_curl_easy_getinfo_off(transfer.handle, CURLINFO_RETRY_AFTER, &retryAfterSeconds)
        let transportError = transfer.responseTooLarge ? "answer_too_large" : UpstreamTransfer.transportError(result)
        let status: Int? = transportError == nil && code > 0 ? code : nil
        let verdict = UpstreamVerdict.of(
            httpStatus: status, body: transfer.response,
            retryAfterSeconds: retryAfterSeconds > 0 ? Int64(retryAfterSeconds) : nil,
            transportError: transportError, eventCount: transfer.request.items.count,
            maxRetryAfter: configuration.maxRetryAfter
        )
        observer?.upstreamRequestFinished(
            statusClass: UpstreamVerdict.statusClass(status), events: transfer.request.items.count,
            sentBytes: transfer.sentBytes, duration: now - transfer.startedAt
        )
        if let health = UpstreamVerdict.health(httpStatus: status, transportError: transportError) {
            noteHealth(health, status: status, transportError: transportError)
        }
        if case .failed(_, let retryAfter) = verdict { return (verdict, retryAfter) }
        return (verdict, nil)
    }

    /// Records what the upstream's answer said; logs once per change.
    private func noteHealth(_ health: RelayHealth, status: Int?, transportError: String?) {
        let previous = shared.withLock { state -> RelayHealth in
            defer { state.health = health }
            return state.health
        }
        guard previous != health else { return }
        let metadata: Logger.Metadata = [
            "upstream": "\(configuration.baseURL)", "was": "\(previous.rawValue)",
            "status": "\(status.map(String.init) ?? "none")", "error": "\(transportError ?? "none")",
        ]
        switch health {
        case .reachable: logger.info("upstream accepts our events again", metadata: metadata)
        case .unauthorized: logger.error("upstream refuses our key (401/403): \(configuration.failedEventsNote)", metadata: metadata)
        case .unreachable: logger.warning("upstream unreachable: \(configuration.failedEventsNote)", metadata: metadata)
        }
    }

    /// Whole milliseconds (rounded up, so a wait never ends just before its deadline).
    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(clamping: seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}

/// A relay configuration that cannot work, or a libcurl set-up failure.
public struct RelayError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
