import Locking
import CSystemShims
import Glibc

/// One load thread: its connections, a non-blocking epoll loop, and its own statistics.
///
/// Open loop: request i of a phase is due at `phaseStart + i / rate` (this worker's share of the rate, one
/// timeline for all its connections). A due request goes out on the connection idle the longest, so every
/// connection carries requests as independent clients' would (behind a layer-4 balancer each backend holding
/// one sees load, not only the most recently used). When none is idle it waits, and its latency still counts
/// from the due time, so a stalled server shows in the percentiles (coordinated omission corrected, as wrk2 does). Closed loop: each connection sends again as soon as its
/// response is complete, and latency counts from the actual send.
public final class LoadWorker: @unchecked Sendable {  // unchecked: `run()` owns the mutable state on one thread; others read only `snapshot` (locked)
    public let settings: WorkerSettings
    /// Per phase of the plan; warm-up phases stay empty.
    public private(set) var phaseStats: [PhaseStats]
    /// Everything, warm-up and drain included: what the server must have seen.
    public private(set) var totals = PhaseStats()
    /// Verify mode: sequence numbers of events the server acknowledged.
    public private(set) var ackedSequences: [UInt64] = []
    let snapshot = Lock(WorkerSnapshot())

    private var connections: [Connection]
    private var idle: [Int] = []
    private var epollFD: Int32 = -1
    private var phaseIndex = 0
    private var phaseStarts: [Int64] = []
    private var phaseEnds: [Int64] = []
    private var scheduleIndex: Int64 = 0
    private var requestCounter: UInt64 = 0
    private var poolCursor: Int
    private let readBuffer: UnsafeMutableRawBufferPointer
    private let perEventReplies: Bool
    /// Reused for every batch reply's per-event statuses (no allocation per response).
    private var statusScratch: [Int] = []

    public init(settings: WorkerSettings) {
        self.settings = settings
        perEventReplies = settings.pool.configuration.kind.hasPerEventReplies
        connections = (0..<settings.connectionCount).map { _ in Connection(captureBody: settings.pool.configuration.kind.hasPerEventReplies) }
        phaseStats = settings.plan.phases.map { _ in PhaseStats() }
        poolCursor = settings.workerIndex % max(1, settings.pool.requests.count)
        readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: WorkerSettings.readBufferBytes, alignment: 16)
        var start = settings.startNanos
        for phase in settings.plan.phases {
            phaseStarts.append(start)
            start += phase.durationNanos
            phaseEnds.append(start)
        }
    }

    deinit { readBuffer.deallocate() }

    public func run() {
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epollFD >= 0, "epoll_create1 failed: errno \(errno)")
        defer { close(epollFD) }
        var events = [epoll_event](repeating: epoll_event(), count: Int(WorkerSettings.maxEventsPerWait))
        var now = MonotonicClock.nowNanos()
        for index in connections.indices { startConnect(index, now: now) }
        var nextHousekeeping = now + WorkerSettings.housekeepingIntervalNanos

        while true {
            now = MonotonicClock.nowNanos()
            advancePhases(now: now)
            if phaseIndex >= phaseEnds.count { break }
            var wakeAt = min(phaseEnds[phaseIndex], nextHousekeeping)
            if now >= phaseStarts[0], let due = dispatch(now: now) { wakeAt = min(wakeAt, due) }
            if now < phaseStarts[0] { wakeAt = min(wakeAt, phaseStarts[0]) }
            wait(&events, until: wakeAt)
            if limitReached && !connections.contains(where: { $0.isBusy }) { break }
            now = MonotonicClock.nowNanos()
            if now >= nextHousekeeping {
                housekeeping(now: now)
                nextHousekeeping = now + WorkerSettings.housekeepingIntervalNanos
            }
        }

        // Drain: no new requests; let in-flight ones finish (counted in totals only).
        let drainDeadline = MonotonicClock.nowNanos() + settings.drainTimeoutNanos
        while connections.contains(where: { $0.isBusy }) {
            now = MonotonicClock.nowNanos()
            if now >= drainDeadline { break }
            wait(&events, until: min(drainDeadline, now + WorkerSettings.housekeepingIntervalNanos))
        }
        for index in connections.indices where connections[index].isBusy {
            totals.timeouts += 1
            closeConnection(index)
        }
        for index in connections.indices where connections[index].fd >= 0 { closeConnection(index) }
        publish(finished: true)
    }

    // MARK: phases and scheduling

    private var limitReached: Bool {
        guard let limit = settings.requestLimit else { return false }
        return requestCounter >= UInt64(limit)
    }

    private var currentPhaseRate: Double? {
        guard let rate = settings.plan.phases[phaseIndex].requestsPerSecond else { return nil }
        return rate * settings.rateShare
    }

    private func scheduledTime(_ index: Int64, rate: Double) -> Int64 {
        phaseStarts[phaseIndex] + Int64(Double(index) * 1e9 / rate)
    }

    private func advancePhases(now: Int64) {
        while phaseIndex < phaseEnds.count && now >= phaseEnds[phaseIndex] {
            if let rate = currentPhaseRate, rate > 0 {
                let due = Int64(Double(phaseEnds[phaseIndex] - phaseStarts[phaseIndex]) * rate / 1e9)
                let missed = Int(max(0, due - scheduleIndex))
                if settings.plan.phases[phaseIndex].measured { phaseStats[phaseIndex].requestsMissed += missed }
                totals.requestsMissed += missed
            }
            phaseIndex += 1
            scheduleIndex = 0
            publish(finished: false)
        }
    }

    /// Sends whatever is due on idle connections; returns when the next request falls due (open loop, idle
    /// connection available), or nil when only a completion can make progress.
    private func dispatch(now: Int64) -> Int64? {
        if limitReached { return nil }
        guard let rate = currentPhaseRate else {
            while !limitReached, let index = idle.popLast() { send(on: index, scheduledNanos: now, now: now) }
            return nil
        }
        guard rate > 0 else { return nil }
        while !idle.isEmpty {
            let due = scheduledTime(scheduleIndex, rate: rate)
            if due > now { return due }
            send(on: idle.removeFirst(), scheduledNanos: due, now: now)
            scheduleIndex += 1
            if limitReached { return nil }
        }
        return nil
    }

    private func send(on index: Int, scheduledNanos: Int64, now: Int64) {
        let pool = settings.pool
        let requestIndex = poolCursor
        poolCursor += 1
        if poolCursor == pool.requests.count { poolCursor = 0 }
        let eventCount = pool.requests[requestIndex].eventCount
        let sequence = (requestCounter &* UInt64(settings.workerCount) &+ UInt64(settings.workerIndex))
            &* UInt64(pool.eventsPerRequest)
        requestCounter &+= 1
        let bytes = settings.verify ? pool.bytes(for: requestIndex, sequence: sequence) : pool.requests[requestIndex].bytes
        connections[index].request = bytes
        connections[index].bytesWritten = 0
        connections[index].scheduledNanos = scheduledNanos
        connections[index].sentNanos = now
        connections[index].eventCount = eventCount
        connections[index].sequenceBase = sequence
        connections[index].reader.reset()
        connections[index].state = .sending
        if settings.plan.phases[phaseIndex].measured {
            phaseStats[phaseIndex].requestsSent += 1
            phaseStats[phaseIndex].eventsSent += eventCount
            phaseStats[phaseIndex].bytesSent += bytes.count
        }
        totals.requestsSent += 1
        totals.eventsSent += eventCount
        totals.bytesSent += bytes.count
        flush(index)
    }

    // MARK: socket I/O

    private func wait(_ events: inout [epoll_event], until deadline: Int64) {
        let remaining = max(0, deadline - MonotonicClock.nowNanos())
        var timeout = timespec(tv_sec: Int(remaining / 1_000_000_000), tv_nsec: Int(remaining % 1_000_000_000))
        let ready = events.withUnsafeMutableBufferPointer { buffer in
            epoll_pwait2(epollFD, buffer.baseAddress, WorkerSettings.maxEventsPerWait, &timeout, nil)
        }
        guard ready > 0 else { return }
        for slot in 0..<Int(ready) {
            let index = Int(events[slot].data.u64)
            handle(index, events: events[slot].events)
        }
    }

    private func handle(_ index: Int, events: UInt32) {
        let failed = events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0
        switch connections[index].state {
        case .connecting:
            finishConnect(index)
        case .sending, .awaitingResponse:
            if events & EPOLLIN.rawValue != 0 || failed { readAvailable(index) }
            if connections[index].state == .sending && events & EPOLLOUT.rawValue != 0 { flush(index) }
        case .idle:
            // The server closed a keep-alive connection (or sent stray bytes): reconnect.
            if events & EPOLLIN.rawValue != 0 || failed { readWhileIdle(index) }
        case .disconnected:
            break
        }
    }

    private func startConnect(_ index: Int, now: Int64) {
        var address = settings.address
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            connections[index].reconnectAtNanos = now + WorkerSettings.reconnectBackoffNanos
            return
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc = withUnsafePointer(to: &address.storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, address.length) }
        }
        if rc != 0 && errno != EINPROGRESS {
            close(fd)
            record { $0.connectErrors += 1 }
            connections[index].reconnectAtNanos = now + WorkerSettings.reconnectBackoffNanos
            return
        }
        connections[index].fd = fd
        connections[index].state = .connecting
        connections[index].sentNanos = now  // connect start, for the connect timeout
        connections[index].writeInterest = true
        var event = epoll_event(events: EPOLLIN.rawValue | EPOLLOUT.rawValue, data: epoll_data_t(u64: UInt64(index)))
        epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event)
    }

    private func finishConnect(_ index: Int) {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(connections[index].fd, SOL_SOCKET, SO_ERROR, &error, &length)
        if error != 0 {
            record { $0.connectErrors += 1 }
            closeConnection(index)
            connections[index].reconnectAtNanos = MonotonicClock.nowNanos() + WorkerSettings.reconnectBackoffNanos
            return
        }
        setWriteInterest(index, false)
        connections[index].state = .idle
        idle.append(index)
    }

    private func setWriteInterest(_ index: Int, _ wanted: Bool) {
        guard connections[index].writeInterest != wanted else { return }
        connections[index].writeInterest = wanted
        var event = epoll_event(
            events: EPOLLIN.rawValue | (wanted ? EPOLLOUT.rawValue : 0), data: epoll_data_t(u64: UInt64(index)))
        epoll_ctl(epollFD, EPOLL_CTL_MOD, connections[index].fd, &event)
    }

    private func flush(_ index: Int) {
        let fd = connections[index].fd
        while connections[index].bytesWritten < connections[index].request.count {
            let offset = connections[index].bytesWritten
            let written = connections[index].request.withUnsafeBytes { buffer in
                Glibc.send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                connections[index].bytesWritten += written
            } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                setWriteInterest(index, true)
                return
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                failRequest(index) { $0.transportErrors += 1 }
                return
            }
        }
        setWriteInterest(index, false)
        if connections[index].state == .sending { connections[index].state = .awaitingResponse }
    }

    private func readAvailable(_ index: Int) {
        while connections[index].isBusy {
            let count = read(connections[index].fd, readBuffer.baseAddress, readBuffer.count)
            if count > 0 {
                let progress: HTTPResponseReader.Progress
                do {
                    progress = try connections[index].reader.consume(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
                } catch {
                    failRequest(index) { $0.protocolErrors += 1 }
                    return
                }
                if case .complete = progress {
                    completeRequest(index)
                    return
                }
            } else if count == 0 {
                do {
                    try connections[index].reader.finishAtEOF()
                    completeRequest(index)
                } catch {
                    failRequest(index) { $0.transportErrors += 1 }
                }
                return
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                return
            } else {
                failRequest(index) { $0.transportErrors += 1 }
                return
            }
        }
    }

    private func readWhileIdle(_ index: Int) {
        let count = read(connections[index].fd, readBuffer.baseAddress, readBuffer.count)
        if count < 0 && (errno == EAGAIN || errno == EINTR) { return }
        // EOF, error or unsolicited bytes: this connection is done; open a fresh one.
        if let position = idle.firstIndex(of: index) { idle.remove(at: position) }
        closeConnection(index)
        startConnect(index, now: MonotonicClock.nowNanos())
    }

    private func closeConnection(_ index: Int) {
        if connections[index].fd >= 0 { close(connections[index].fd) }
        connections[index].fd = -1
        connections[index].state = .disconnected
        connections[index].writeInterest = false
    }

    // MARK: outcomes

    private func record(_ update: (inout PhaseStats) -> Void) {
        if phaseIndex < phaseStats.count && settings.plan.phases[phaseIndex].measured { update(&phaseStats[phaseIndex]) }
        update(&totals)
    }

    private func failRequest(_ index: Int, _ count: (inout PhaseStats) -> Void) {
        record(count)
        closeConnection(index)
        startConnect(index, now: MonotonicClock.nowNanos())
    }

    private func completeRequest(_ index: Int) {
        let now = MonotonicClock.nowNanos()
        let status = connections[index].reader.status
        let eventCount = connections[index].eventCount
        let latency = now - connections[index].scheduledNanos
        var accepted = 0
        var hasEventStatuses = false
        var unreadable = false
        if status >= 200 && status < 300 {
            if perEventReplies {
                let parsed = connections[index].reader.body.first == UInt8(ascii: "[")
                    ? BatchReplyParser.parseStatuses(json: connections[index].reader.body, into: &statusScratch)
                    : BatchReplyParser.parseStatuses(msgpack: connections[index].reader.body, into: &statusScratch)
                if parsed && statusScratch.count == eventCount {
                    hasEventStatuses = true
                    for eventStatus in statusScratch where eventStatus >= 200 && eventStatus < 300 { accepted += 1 }
                } else {
                    unreadable = true
                }
            } else {
                accepted = eventCount
            }
        }
        if settings.verify && accepted > 0 {
            let base = connections[index].sequenceBase
            if hasEventStatuses {
                for (offset, eventStatus) in statusScratch.enumerated() where eventStatus >= 200 && eventStatus < 300 {
                    ackedSequences.append(base + UInt64(offset))
                }
            } else {
                for offset in 0..<eventCount { ackedSequences.append(base + UInt64(offset)) }
            }
        }
        let measured = phaseIndex < phaseStats.count && settings.plan.phases[phaseIndex].measured
        for target in 0..<(measured ? 2 : 1) {
            if target == 0 {
                apply(to: &totals, status: status, latency: latency, accepted: accepted, unreadable: unreadable, withEventStatuses: hasEventStatuses)
            } else {
                apply(to: &phaseStats[phaseIndex], status: status, latency: latency, accepted: accepted, unreadable: unreadable, withEventStatuses: hasEventStatuses)
            }
        }
        if connections[index].reader.keepAlive {
            connections[index].state = .idle
            idle.append(index)
        } else {
            closeConnection(index)
            startConnect(index, now: now)
        }
    }

    @inline(__always)
    private func apply(
        to stats: inout PhaseStats, status: Int, latency: Int64, accepted: Int, unreadable: Bool, withEventStatuses: Bool
    ) {
        stats.requestsCompleted += 1
        stats.recordStatus(status)
        stats.recordLatency(nanos: latency)
        stats.eventsAccepted += accepted
        if unreadable { stats.unreadableReplies += 1 }
        if withEventStatuses { for eventStatus in statusScratch { stats.recordEventStatus(eventStatus) } }
    }

    // MARK: housekeeping

    private func housekeeping(now: Int64) {
        for index in connections.indices {
            switch connections[index].state {
            case .sending, .awaitingResponse:
                if now - connections[index].sentNanos > settings.requestTimeoutNanos {
                    failRequest(index) { $0.timeouts += 1 }
                }
            case .disconnected:
                if now >= connections[index].reconnectAtNanos { startConnect(index, now: now) }
            case .connecting:
                if now - connections[index].sentNanos > settings.requestTimeoutNanos {
                    record { $0.connectErrors += 1 }
                    closeConnection(index)
                    connections[index].reconnectAtNanos = now + WorkerSettings.reconnectBackoffNanos
                }
            case .idle:
                break
            }
        }
        publish(finished: false)
    }

    private func publish(finished: Bool) {
        let current = min(phaseIndex, phaseStats.count - 1)
        let stats = phaseStats[current]
        let busy = connections.reduce(0) { $0 + ($1.isBusy ? 1 : 0) }
        snapshot.withLock { snapshot in
            snapshot.phaseIndex = phaseIndex
            snapshot.phase = stats
            snapshot.inFlight = busy
            snapshot.finished = finished
        }
    }
}
