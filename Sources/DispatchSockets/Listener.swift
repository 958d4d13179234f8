internal import Glibc
internal import Synchronization

/// The listening socket, living on the accept lane. Accepts in bounded batches, reserves a slot
/// under the connection cap before each accept (pausing at the cap, h2o-style), backs off on
/// descriptor exhaustion, and hands each new connection to the next lane round-robin.
final class Listener: ReadinessTarget, @unchecked Sendable {  // unchecked: lane-confined to the accept lane but for `shutDownFromAnyThread` (one shutdown(2) call)
    /// Accepts per readiness wakeup before the lane turns to its other work.
    static let maxAcceptsPerWakeup = 64

    let fileDescriptor: Int32
    let lane: IOLane
    private let lanes: [IOLane]
    private var channel: (any ReadinessChannel)?
    private var isPausedAtConnectionCap = false
    private var backoff = AcceptBackoff()
    private var backoffUntil: ContinuousClock.Instant?
    private var isClosing = false
    private var closeContinuations: [() -> Void] = []
    private var nextLaneIndex = 0
    /// Any thread: set once by `shutDownFromAnyThread`.
    private let shutdownRequested = Atomic<Bool>(false)
    private let counters: ListenerCounters

    init(fileDescriptor: Int32, lane: IOLane, lanes: [IOLane], counters: ListenerCounters) {
        self.fileDescriptor = fileDescriptor
        self.lane = lane
        self.lanes = lanes
        self.counters = counters
    }

    // MARK: any thread

    /// Stops the kernel from completing new connections right away (shutdown on a listening socket
    /// moves it out of LISTEN: new SYNs are refused). The descriptor itself is closed on the lane.
    func shutDownFromAnyThread() {
        guard !shutdownRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = Glibc.shutdown(fileDescriptor, Int32(SHUT_RDWR))
    }

    // MARK: lane only

    func start() {
        let channel = lane.loop.makeChannel(fileDescriptor: fileDescriptor, target: self)
        self.channel = channel
        channel.activate()
    }

    /// Closes the descriptor (through the channel); `then` runs on the lane once it is closed.
    func close(then continuation: @escaping () -> Void) {
        closeContinuations.append(continuation)
        guard !isClosing else { return }
        isClosing = true
        if let channel {
            channel.close()
        } else {
            Syscalls.close(fileDescriptor)
            channelDidClose()
        }
    }

    func resumeAfterConnectionCap() {
        guard isPausedAtConnectionCap else { return }
        isPausedAtConnectionCap = false
        channel?.interestDidChange()
    }

    func tick(now: ContinuousClock.Instant) {
        guard let until = backoffUntil, until <= now else { return }
        backoffUntil = nil
        channel?.interestDidChange()
    }

    var wantsReadable: Bool {
        !isPausedAtConnectionCap && backoffUntil == nil && !isClosing
    }

    /// Never: a listener has nothing to write, and write interest on it spins (FlyingFox #186).
    var wantsWritable: Bool { false }

    func handleReadable(trustShortReads: Bool) -> ReadProgress {
        for _ in 0..<Self.maxAcceptsPerWakeup {
            guard wantsReadable else { return .inputMayRemain }
            guard lane.limiter.reserveSlot() else {
                isPausedAtConnectionCap = true
                channel?.interestDidChange()
                return .inputMayRemain
            }
            switch Syscalls.accept(fileDescriptor) {
            case .accepted(let fd, let remote):
                backoff.succeeded()
                let id = counters.accepted.add(1, ordering: .relaxed).newValue
                hand(fileDescriptor: fd, remote: remote ?? Self.unknownPeer, id: id)
            case .wouldBlock:
                lane.limiter.returnUnusedSlot()
                return .drained
            case .retry:
                lane.limiter.returnUnusedSlot()
            case .resourcesExhausted:
                lane.limiter.returnUnusedSlot()
                counters.acceptErrors.add(1, ordering: .relaxed)
                backOff()
                return .inputMayRemain
            case .listenerClosed:
                lane.limiter.returnUnusedSlot()
                // After stopAccepting the listener reports EINVAL until its close block runs.
                if shutdownRequested.load(ordering: .relaxed) { return .drained }
                counters.acceptErrors.add(1, ordering: .relaxed)
                backOff()
                return .inputMayRemain
            }
        }
        return .inputMayRemain
    }

    private func backOff() {
        backoffUntil = ContinuousClock.now.advanced(by: backoff.failed())
        channel?.interestDidChange()
    }

    private static let unknownPeer = try! SocketAddress(host: "0.0.0.0", port: 0)

    private func hand(fileDescriptor fd: Int32, remote: SocketAddress, id: UInt64) {
        let target = lanes[nextLaneIndex]
        nextLaneIndex = (nextLaneIndex + 1) % lanes.count
        if target === lane {
            target.adopt(fileDescriptor: fd, remoteAddress: remote, id: id)
        } else {
            target.submit { target.adopt(fileDescriptor: fd, remoteAddress: remote, id: id) }
        }
    }

    func handleWritable() {}

    func handleSocketError() {
        // A listening socket has no connection to lose; a pending error surfaces from accept.
    }

    func channelDidClose() {
        channel = nil
        lane.listenerDidClose()
        let continuations = closeContinuations
        closeContinuations = []
        for continuation in continuations { continuation() }
    }
}

/// Server-wide accept counters, readable from any thread.
final class ListenerCounters: Sendable {
    let accepted = Atomic<UInt64>(0)
    let acceptErrors = Atomic<UInt64>(0)
}
