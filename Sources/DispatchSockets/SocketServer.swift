internal import Dispatch
internal import Glibc
internal import Locking

/// A TCP server on non-blocking BSD sockets over Dispatch, knowing nothing of HTTP. A fixed set of
/// serial I/O lanes (DispatchQueues) runs every connection callback; one listener on lane 0 accepts
/// and hands connections to lanes round-robin.
///
/// Lifecycle: `start()` once; `stopAccepting()` to drain; `shutdown(completion:)` to end. A server
/// that is started must be shut down: its lanes keep it alive until then.
public final class SocketServer: Sendable {
    public let configuration: SocketServerConfiguration
    let makeHandler: @Sendable (Connection) -> any ConnectionHandler
    let lanes: [IOLane]
    private let limiter: ConnectionLimiter
    private let counters = ListenerCounters()
    private let clockBase = ContinuousClock.now
    private let lifecycle = Lock(Lifecycle())

    private struct Lifecycle {
        var phase = Phase.idle
        var listener: Listener?
        var shutdownCompletions: [@Sendable () -> Void] = []
        var lanesStillRunning = 0
    }

    private enum Phase {
        case idle, running, shuttingDown, finished
    }

    /// `makeHandler` is called on the new connection's lane, once per accepted connection, before
    /// `connectionDidOpen`.
    public init(
        configuration: SocketServerConfiguration,
        makeHandler: @escaping @Sendable (Connection) -> any ConnectionHandler
    ) {
        self.configuration = configuration
        self.makeHandler = makeHandler
        let limiter = ConnectionLimiter(maxConnections: max(1, configuration.maxConnections))
        self.limiter = limiter
        let laneCount = min(max(1, configuration.laneCount), SocketServerConfiguration.maxLaneCount)
        let base = clockBase
        self.lanes = (0..<laneCount).map {
            IOLane(index: $0, configuration: configuration, limiter: limiter, clockBase: base)
        }
    }

    /// The lane that owns the listener.
    var acceptLane: IOLane { lanes[0] }

    /// Binds and listens, starts the lanes, and returns the bound address (with the real port when
    /// `port` was 0).
    public func start() throws -> SocketAddress {
        try lifecycle.withLock { state in
            guard state.phase == .idle else { throw SocketError.alreadyStarted }
            state.phase = .running
        }
        let socket: (fileDescriptor: Int32, boundAddress: SocketAddress)
        do {
            try configuration.validate()
            let address = try SocketAddress(host: configuration.host, port: configuration.port)
            socket = try Syscalls.makeListeningSocket(
                address: address, backlog: configuration.listenBacklog, reusePort: configuration.reusePort)
        } catch {
            lifecycle.withLock { $0.phase = .finished }
            throw error
        }
        var started: [IOLane] = []
        do {
            for lane in lanes {
                lane.server = self
                try lane.start()
                started.append(lane)
            }
        } catch {
            Syscalls.close(socket.fileDescriptor)
            for lane in lanes where !started.contains(where: { $0 === lane }) { lane.server = nil }
            lifecycle.withLock { $0.phase = .finished }
            for lane in started { lane.submit { lane.stop {} } }
            throw error
        }
        let listener = Listener(fileDescriptor: socket.fileDescriptor, lane: acceptLane, lanes: lanes, counters: counters)
        lifecycle.withLock { $0.listener = listener }
        let lane = acceptLane
        lane.submit {
            guard !lane.isStopping else {
                // shutdown() ran while start() was still setting up.
                Syscalls.close(listener.fileDescriptor)
                return
            }
            lane.listener = listener
            listener.start()
        }
        return socket.boundAddress
    }

    /// Closes the listener: new connection attempts are refused from the moment this returns;
    /// existing connections keep running. Any thread; idempotent.
    public func stopAccepting() {
        guard let listener = lifecycle.withLock({ $0.listener }) else { return }
        listener.shutDownFromAnyThread()
        acceptLane.submit { listener.close(then: {}) }
    }

    /// Runs `body` on each open connection's lane (e.g. to close idle connections during a drain).
    /// Any thread; returns at once.
    public func forEachConnection(_ body: @escaping @Sendable (Connection) -> Void) {
        for lane in lanes {
            lane.submit {
                for connection in lane.connections.snapshot() where !connection.isClosed {
                    body(connection)
                }
            }
        }
    }

    /// Stops accepting, closes every connection at once (pending output is dropped), and stops the
    /// lanes' loops. `completion` runs (on a lane queue) after every descriptor the server opened is
    /// closed. Any thread; later calls add their completion to the same shutdown.
    public func shutdown(completion: @escaping @Sendable () -> Void) {
        enum Next { case wait, finishNow, begin(Listener?) }
        let next: Next = lifecycle.withLock { state in
            switch state.phase {
            case .idle, .finished:
                state.phase = .finished
                return .finishNow
            case .shuttingDown:
                state.shutdownCompletions.append(completion)
                return .wait
            case .running:
                state.phase = .shuttingDown
                state.shutdownCompletions.append(completion)
                state.lanesStillRunning = lanes.count
                return .begin(state.listener)
            }
        }
        switch next {
        case .wait:
            return
        case .finishNow:
            completion()
        case .begin(let listener):
            listener?.shutDownFromAnyThread()
            let lane = acceptLane
            lane.submit { [self] in
                // The listener closes first, so every connection it handed off reaches its lane
                // before that lane's stop block.
                if let listener = lane.listener {
                    listener.close(then: { self.stopLanes() })
                } else {
                    stopLanes()
                }
            }
        }
    }

    private func stopLanes() {
        for lane in lanes {
            lane.submit { [self] in
                lane.stop { self.laneDidStop() }
            }
        }
    }

    private func laneDidStop() {
        let completions: [@Sendable () -> Void] = lifecycle.withLock { state in
            state.lanesStillRunning -= 1
            guard state.lanesStillRunning == 0 else { return [] }
            state.phase = .finished
            state.listener = nil
            defer { state.shutdownCompletions = [] }
            return state.shutdownCompletions
        }
        for completion in completions { completion() }
    }

    /// Connections open now (accepted and not yet closed). Any thread.
    public var openConnectionCount: Int {
        limiter.currentCount
    }

    /// Connections accepted since start; monotonic. Any thread.
    public var acceptedConnectionCount: UInt64 {
        counters.accepted.load(ordering: .relaxed)
    }

    /// accept(2) failures that made the listener back off (EMFILE, ENFILE, ENOBUFS, ENOMEM, other
    /// unexpected errors); monotonic. Any thread.
    public var acceptErrorCount: UInt64 {
        counters.acceptErrors.load(ordering: .relaxed)
    }

    /// The last time each lane's loop turned its tick, for liveness probes. Any thread.
    public func laneHeartbeats() -> [ContinuousClock.Instant] {
        lanes.map(\.lastHeartbeat)
    }
}
