internal import Dispatch
internal import Glibc
internal import Synchronization

/// One accepted TCP connection, confined to its lane.
///
/// Thread-safe (any thread): `id`, `remoteAddress`, `pendingOutputBytes`, `isClosed`, `execute`.
/// Everything else must be called on the connection's lane, i.e. from a `ConnectionHandler`
/// callback or from a block passed to `execute` (checked with dispatchPrecondition in debug builds).
///
/// Deadlines are a stored instant scanned by the lane's coarse tick; there is no timer object per
/// connection.
public final class Connection: @unchecked Sendable {  // unchecked: lane-confined state, see above
    enum State {
        /// Reading and writing normally.
        case open
        /// `close(flushingOutput: true)` with output pending: sending it; input is discarded.
        case flushingBeforeClose
        /// Output sent and write side shut down; discarding input until the peer's FIN, the
        /// deadline, or `closeLingerTimeout`.
        case lingering
        /// The channel is closing the descriptor.
        case closing
        /// The descriptor is closed and `connectionDidClose` was delivered.
        case closed
    }

    public let id: UInt64
    public let remoteAddress: SocketAddress

    let fileDescriptor: Int32
    let lane: IOLane
    /// The number of the I/O lane this connection lives on (0 ..< lane count).
    public var laneIndex: Int { lane.index }
    /// Slot in the lane's ConnectionTable (-1 when not in it).
    var tableSlot = -1
    private(set) var channel: (any ReadinessChannel)!
    /// One object shared by the handlers of every connection on this lane, so they can keep lane-local
    /// caches without locks. Lane only.
    public var laneLocal: AnyObject? {
        get { lane.handlerLocal }
        set { lane.handlerLocal = newValue }
    }

    /// The handler driving this connection. Lane only.
    public private(set) var handler: (any ConnectionHandler)?

    var state = State.open
    var isReadingPaused = false
    var hasReadEOF = false
    var deadline: ContinuousClock.Instant?
    var outbound = OutboundBuffer()
    /// Set on a TLS listener's connections before `open()`; all I/O then goes through it.
    var tlsSession: TLSSession?
    /// What TLS negotiated, once the handshake completed (the handler exists only from then on); nil
    /// on a plain TCP connection. Lane only.
    public internal(set) var tls: TLSConnectionInfo?

    private let pendingOutputCount = Atomic<Int>(0)
    private let closedFlag = Atomic<Bool>(false)

    init(id: UInt64, fileDescriptor: Int32, remoteAddress: SocketAddress, lane: IOLane) {
        self.id = id
        self.fileDescriptor = fileDescriptor
        self.remoteAddress = remoteAddress
        self.lane = lane
    }

    func attach(channel: any ReadinessChannel) {
        self.channel = channel
    }

    func attach(handler: any ConnectionHandler) {
        self.handler = handler
    }

    // MARK: any thread

    /// Bytes written but not yet taken by the kernel. Any thread (a recent value).
    public var pendingOutputBytes: Int {
        pendingOutputCount.load(ordering: .relaxed)
    }

    /// True once `close` was called or the connection failed: writes are ignored from then on.
    /// Any thread.
    public var isClosed: Bool {
        closedFlag.load(ordering: .acquiring)
    }

    /// Runs `work` on this connection's lane (waking the epoll loop). Any thread.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        lane.submit(work)
    }

    // MARK: lane only

    /// Sends `bytes` now as far as the kernel takes them; buffers the rest (copying it) and sends it
    /// when the socket is writable. Ignored once the connection is closing.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        assertOnLane()
        guard state == .open, !bytes.isEmpty else { return }
        if let tlsSession {
            writeTLS(bytes, session: tlsSession)
            return
        }
        var offset = 0
        let wasIdle = outbound.isEmpty
        if wasIdle {
            switch Syscalls.send(fileDescriptor, bytes) {
            case .transferred(let count):
                if count == bytes.count { return }
                offset = count
            case .wouldBlock:
                break
            case .failed:
                abort()
                return
            }
        }
        outbound.append(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        publishPendingOutput()
        // Write readiness is armed once, when output first becomes pending.
        if wasIdle { channel.interestDidChange() }
    }

    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    /// Stops `didRead` callbacks; unread input stays in the kernel (and pushes back on the peer).
    public func pauseReading() {
        assertOnLane()
        guard !isReadingPaused else { return }
        isReadingPaused = true
        channel.interestDidChange()
    }

    /// Resumes `didRead` callbacks, including for input that arrived while paused.
    public func resumeReading() {
        assertOnLane()
        guard isReadingPaused else { return }
        isReadingPaused = false
        channel.interestDidChange()
        // Input OpenSSL already took from the socket shows up as no readiness at all.
        if tlsSession?.hasBufferedInput == true { channel.scheduleRead() }
    }

    /// Sets (or with nil clears) the instant at which `connectionDeadlineExpired` fires. Resolution
    /// is the lane tick: it fires within about one tick after `deadline`.
    public func setDeadline(_ deadline: ContinuousClock.Instant?) {
        assertOnLane()
        guard state != .closing, state != .closed else { return }
        if state == .lingering, let lingerEnd = self.deadline {
            // The linger bound stays; a caller may only shorten it.
            guard let deadline, deadline < lingerEnd else { return }
        }
        self.deadline = deadline
        if let deadline { lane.noteDeadline(deadline) }
    }

    /// `flushingOutput: false` closes now and drops pending output. `flushingOutput: true` sends
    /// pending output first (bounded by the deadline if one is set; input meanwhile is discarded),
    /// then shuts down the write side (FIN), lingers briefly for the peer's FIN, and closes.
    /// `connectionDidClose` follows once the descriptor is closed, in a later lane block.
    public func close(flushingOutput: Bool) {
        assertOnLane()
        switch state {
        case .open:
            markClosedForWriters()
            if !flushingOutput {
                abort()
            } else if outbound.isEmpty {
                shutDownWriteSideAndLinger()
            } else {
                state = .flushingBeforeClose
                channel.interestDidChange()
            }
        case .flushingBeforeClose, .lingering:
            if !flushingOutput { abort() }
        case .closing, .closed:
            break
        }
    }

    // MARK: internals shared with Connection+Readiness

    /// Traps unless called on this connection's lane; for handlers that rely on the confinement too.
    public func assertOnLane() {
        dispatchPrecondition(condition: .onQueue(lane.queue))
    }

    func publishPendingOutput() {
        pendingOutputCount.store(outbound.byteCount, ordering: .relaxed)
    }

    func markClosedForWriters() {
        closedFlag.store(true, ordering: .releasing)
    }

    /// Called once the connection is registered with its channel.
    func open() {
        channel.activate()
        if tlsSession != nil {
            beginHandshake()
        } else {
            handler?.connectionDidOpen(self)
        }
    }

    /// Closes the descriptor now, dropping pending output.
    func abort() {
        guard state != .closing, state != .closed else { return }
        state = .closing
        markClosedForWriters()
        outbound.removeAll()
        publishPendingOutput()
        deadline = nil
        channel.close()
    }

    /// Output is flushed in a flushing close: send FIN, then wait for the peer's FIN (bounded).
    func shutDownWriteSideAndLinger() {
        tlsSession?.sendCloseNotify()
        _ = Glibc.shutdown(fileDescriptor, Int32(SHUT_WR))
        if hasReadEOF || lane.closeLingerTimeout <= .zero {
            abort()
            return
        }
        state = .lingering
        let lingerEnd = ContinuousClock.now.advanced(by: lane.closeLingerTimeout)
        if deadline == nil || lingerEnd < deadline! { deadline = lingerEnd }
        lane.noteDeadline(deadline!)
        channel.interestDidChange()
    }

    /// The lane tick found `deadline` in the past.
    func deadlineDidPass() {
        deadline = nil
        switch state {
        case .open:
            if tlsSession?.isHandshaking == true {
                handshakeDidTimeOut()
            } else {
                handler?.connectionDeadlineExpired(self)
            }
        case .flushingBeforeClose, .lingering:
            abort()
        case .closing, .closed:
            break
        }
    }

    /// Final step, from the channel once the descriptor is closed.
    func descriptorDidClose() {
        state = .closed
        lane.connectionDidClose(self)
        let handler = self.handler
        self.handler = nil
        handler?.connectionDidClose(self)
    }
}
