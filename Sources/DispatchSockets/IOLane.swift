internal import Dispatch
internal import Glibc
internal import Synchronization

/// One serial I/O lane: a DispatchQueue, its readiness loop, its connections, a shared receive
/// buffer and the coarse tick that fires deadlines. All mutable state is touched only on `queue`;
/// the members marked "any thread" are the exceptions.
final class IOLane: @unchecked Sendable {  // unchecked: mutable state touched only on `queue` (asserted); the "any thread" members are atomics or immutable
    let index: Int
    let queue: DispatchQueue
    private(set) var loop: (any LaneEventLoop)!
    let limiter: ConnectionLimiter
    let tick: Duration
    let maxReadBytesPerWakeup: Int
    let closeLingerTimeout: Duration
    /// One read buffer per lane: the lane runs one callback at a time, so connections share it.
    let receiveBuffer: UnsafeMutableRawBufferPointer
    /// Scratch iovecs for gathered writes, shared the same way.
    let writeVectors: UnsafeMutablePointer<iovec>

    /// Cleared when the lane stops, which breaks the server ↔ lane reference cycle.
    var server: SocketServer?
    var connections = ConnectionTable()
    /// One object the handlers of this lane's connections share (e.g. a metrics cache). Lane only.
    var handlerLocal: AnyObject?
    /// The listener, on the accept lane only, until it is closed.
    var listener: Listener?

    /// Lower bound of every deadline set on this lane (nil: none set since the last scan). The tick
    /// scans only when it has passed, so most ticks cost one comparison.
    private var earliestDeadline: ContinuousClock.Instant?
    private(set) var isStopping = false
    private(set) var isStopped = false
    private var stopCompletion: (() -> Void)?

    private let clockBase: ContinuousClock.Instant
    /// Any thread: nanoseconds after `clockBase` at which the lane last turned its tick.
    private let heartbeatNanoseconds = Atomic<Int64>(0)

    init(index: Int, configuration: SocketServerConfiguration, limiter: ConnectionLimiter, clockBase: ContinuousClock.Instant) {
        self.index = index
        self.queue = DispatchQueue(label: "kelpie.io-lane.\(index)")
        self.limiter = limiter
        self.tick = configuration.timerTick
        self.maxReadBytesPerWakeup = max(1, configuration.maxReadBytesPerWakeup)
        self.closeLingerTimeout = configuration.closeLingerTimeout
        self.receiveBuffer = .allocate(byteCount: max(1, configuration.readChunkBytes), alignment: 16)
        self.writeVectors = .allocate(capacity: OutboundBuffer.maxVectorsPerWrite)
        self.clockBase = clockBase
        switch configuration.backend {
        case .epoll: loop = EpollLaneLoop(lane: self)
        case .dispatch: loop = DispatchLaneLoop(lane: self)
        }
    }

    deinit {
        receiveBuffer.deallocate()
        writeVectors.deallocate()
    }

    // MARK: any thread

    /// Runs `work` on the lane, waking an idle epoll loop.
    func submit(_ work: @escaping @Sendable () -> Void) {
        queue.async(execute: work)
        loop.wake()
    }

    var lastHeartbeat: ContinuousClock.Instant {
        clockBase.advanced(by: .nanoseconds(heartbeatNanoseconds.load(ordering: .relaxed)))
    }

    // MARK: lane only

    /// Traps unless called on this lane's queue: the confinement that lets its state go unlocked.
    @inline(__always)
    func assertOnLane() {
        dispatchPrecondition(condition: .onQueue(queue))
    }

    /// Called by `SocketServer.start()` before the loop runs, so not on the lane.
    func start() throws {
        recordHeartbeat(ContinuousClock.now)
        try loop.start()
    }

    /// Takes ownership of an accepted descriptor: makes the Connection and its handler, registers
    /// it, then reports it open.
    func adopt(fileDescriptor: Int32, remoteAddress: SocketAddress, id: UInt64) {
        assertOnLane()
        guard let server, !isStopping else {
            Syscalls.close(fileDescriptor)
            _ = limiter.releaseSlot()
            return
        }
        Syscalls.setNoDelay(fileDescriptor)
        let connection = Connection(id: id, fileDescriptor: fileDescriptor, remoteAddress: remoteAddress, lane: self)
        connection.attach(channel: loop.makeChannel(fileDescriptor: fileDescriptor, target: connection))
        connections.insert(connection)
        connection.attach(handler: server.makeHandler(connection))
        connection.open()
    }

    func noteDeadline(_ deadline: ContinuousClock.Instant) {
        if let earliest = earliestDeadline, earliest <= deadline { return }
        earliestDeadline = deadline
    }

    /// Called by the loop about once per `tick`.
    func runTick(now: ContinuousClock.Instant) {
        assertOnLane()
        recordHeartbeat(now)
        listener?.tick(now: now)
        guard let earliest = earliestDeadline, earliest <= now else { return }
        earliestDeadline = nil
        // Handlers may set new deadlines (noteDeadline) or close connections during the scan;
        // removal happens in a later block, so slots stay put while we walk them.
        for slot in 0..<connections.slotCount {
            guard let connection = connections[slot], let deadline = connection.deadline else { continue }
            if deadline <= now {
                connection.deadlineDidPass()
            } else {
                noteDeadline(deadline)
            }
        }
    }

    private func recordHeartbeat(_ now: ContinuousClock.Instant) {
        heartbeatNanoseconds.store((now - clockBase).nanosecondsClamped, ordering: .relaxed)
    }

    /// A connection's descriptor is closed: forget it and free its slot under the cap.
    func connectionDidClose(_ connection: Connection) {
        assertOnLane()
        connections.remove(connection)
        if limiter.releaseSlot(), let acceptLane = server?.acceptLane {
            acceptLane.submit { [acceptLane] in acceptLane.listener?.resumeAfterConnectionCap() }
        }
        if isStopping { finishStopIfIdle() }
    }

    func listenerDidClose() {
        assertOnLane()
        listener = nil
        if isStopping { finishStopIfIdle() }
    }

    /// Closes every connection at once; once all descriptors are closed, stops the loop and calls
    /// `completion` on the lane.
    func stop(completion: @escaping () -> Void) {
        assertOnLane()
        guard !isStopped else { completion(); return }
        let previous = stopCompletion
        stopCompletion = { previous?(); completion() }
        guard !isStopping else { return }
        isStopping = true
        // Normally closed already (shutdown closes it first); this covers a start racing shutdown.
        listener?.close(then: {})
        for connection in connections.snapshot() {
            connection.close(flushingOutput: false)
        }
        finishStopIfIdle()
    }

    private func finishStopIfIdle() {
        guard isStopping, !isStopped, connections.isEmpty, listener == nil else { return }
        isStopped = true
        loop.stop { [self] in
            server = nil
            let completion = stopCompletion
            stopCompletion = nil
            completion?()
        }
    }
}
