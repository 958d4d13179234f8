internal import Locking
internal import CSystemShims
internal import Dispatch
internal import Glibc

/// An epoll loop that runs as a block on its lane's serial queue: epoll_wait bounded by the time to
/// the next tick, handle events, service channels with work left over (byte bound hit, resumed
/// after a pause, closed), run the tick. It re-enqueues itself after a bounded number of iterations,
/// or as soon as its eventfd says another block was submitted to the lane, so submitted work runs
/// promptly and in order.
final class EpollLaneLoop: LaneEventLoop, @unchecked Sendable {  // unchecked: lane-confined but for `wakeState` (locked) and the eventfd write
    static let maxEventsPerWait: Int32 = 256
    /// Iterations per queue turn before yielding to other blocks on the lane queue.
    static let maxIterationsPerTurn = 64
    private static let wakeToken = UInt64.max

    private struct WakeState {
        var fileDescriptor: Int32 = -1
        var isPending = false
    }

    unowned let lane: IOLane
    private var epollDescriptor: Int32 = -1
    private var wakeDescriptor: Int32 = -1
    /// Guards the eventfd against being written after the loop closed it, and dedupes wake-ups.
    private let wakeState = Lock(WakeState())
    private let events: UnsafeMutablePointer<epoll_event>
    private var channels: [EpollChannel?] = []
    private var generations: [UInt32] = []
    private var freeSlots: [UInt32] = []
    private var readyChannels: [EpollChannel] = []
    private var readySpare: [EpollChannel] = []
    private var nextTick = ContinuousClock.now
    private var stopCompletion: (() -> Void)?

    init(lane: IOLane) {
        self.lane = lane
        self.events = .allocate(capacity: Int(Self.maxEventsPerWait))
    }

    deinit {
        events.deallocate()
    }

    func start() throws {
        epollDescriptor = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollDescriptor >= 0 else { throw SocketError.lastSystemCall("epoll_create1") }
        wakeDescriptor = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wakeDescriptor >= 0 else {
            let error = SocketError.lastSystemCall("eventfd")
            Syscalls.close(epollDescriptor)
            throw error
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = Self.wakeToken
        guard epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, wakeDescriptor, &event) == 0 else {
            let error = SocketError.lastSystemCall("epoll_ctl(eventfd)")
            Syscalls.close(wakeDescriptor)
            Syscalls.close(epollDescriptor)
            throw error
        }
        wakeState.withLock { $0.fileDescriptor = wakeDescriptor }
        nextTick = ContinuousClock.now.advanced(by: lane.tick)
        lane.queue.async { self.runTurn() }
    }

    /// The loop's own descriptors (epoll, eventfd) while running; for leak diagnostics.
    var ownDescriptors: [Int32] {
        [epollDescriptor, wakeDescriptor].filter { $0 >= 0 }
    }

    func makeChannel(fileDescriptor: Int32, target: any ReadinessTarget) -> any ReadinessChannel {
        EpollChannel(loop: self, fileDescriptor: fileDescriptor, target: target)
    }

    func wake() {
        wakeState.withLock { state in
            guard state.fileDescriptor >= 0, !state.isPending else { return }
            state.isPending = true
            var one: UInt64 = 1
            _ = Glibc.write(state.fileDescriptor, &one, MemoryLayout<UInt64>.size)
        }
    }

    func stop(completion: @escaping () -> Void) {
        stopCompletion = completion
    }

    // MARK: registration (lane only)

    func register(_ channel: EpollChannel, events: UInt32) -> Bool {
        let slot: UInt32
        if let reused = freeSlots.popLast() {
            slot = reused
            channels[Int(slot)] = channel
        } else {
            slot = UInt32(channels.count)
            channels.append(channel)
            generations.append(0)
        }
        let token = UInt64(generations[Int(slot)]) << 32 | UInt64(slot)
        var event = epoll_event()
        event.events = events
        event.data.u64 = token
        guard epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, channel.fileDescriptor, &event) == 0 else {
            release(slot: slot)
            return false
        }
        channel.slot = slot
        channel.token = token
        return true
    }

    func modify(_ channel: EpollChannel, events: UInt32) {
        var event = epoll_event()
        event.events = events
        event.data.u64 = channel.token
        _ = epoll_ctl(epollDescriptor, EPOLL_CTL_MOD, channel.fileDescriptor, &event)
    }

    /// Removes the descriptor before it is closed (explicitly: a descriptor duplicated into a
    /// forked child would otherwise stay in the epoll set) and retires its token, so an event
    /// already fetched for it in this batch is ignored.
    func deregister(_ channel: EpollChannel) {
        _ = epoll_ctl(epollDescriptor, EPOLL_CTL_DEL, channel.fileDescriptor, nil)
        release(slot: channel.slot)
    }

    private func release(slot: UInt32) {
        channels[Int(slot)] = nil
        generations[Int(slot)] &+= 1
        freeSlots.append(slot)
    }

    /// Services `channel` at the end of this iteration (or the next, if not inside one).
    func enqueueReady(_ channel: EpollChannel) {
        guard !channel.isQueuedReady else { return }
        channel.isQueuedReady = true
        readyChannels.append(channel)
    }

    // MARK: the loop

    private func runTurn() {
        for _ in 0..<Self.maxIterationsPerTurn {
            if let completion = stopCompletion {
                tearDown()
                completion()
                return
            }
            let timeout = readyChannels.isEmpty ? millisecondsUntilTick() : 0
            var count = epoll_wait(epollDescriptor, events, Self.maxEventsPerWait, timeout)
            if count < 0 { count = 0 }  // EINTR: just go round
            var woken = false
            for index in 0..<Int(count) {
                let token = events[index].data.u64
                let flags = events[index].events
                if token == Self.wakeToken {
                    consumeWake()
                    woken = true
                } else {
                    let slot = Int(token & 0xFFFF_FFFF)
                    guard slot < channels.count, let channel = channels[slot], channel.token == token else { continue }
                    channel.handleEvents(flags)
                }
            }
            serviceReadyChannels()
            let now = ContinuousClock.now
            if now >= nextTick {
                nextTick = now.advanced(by: lane.tick)
                lane.runTick(now: now)
            }
            if woken { break }
        }
        lane.queue.async { self.runTurn() }
    }

    private func serviceReadyChannels() {
        guard !readyChannels.isEmpty else { return }
        swap(&readyChannels, &readySpare)
        for channel in readySpare {
            channel.isQueuedReady = false
            channel.serviceReady()
        }
        readySpare.removeAll(keepingCapacity: true)
    }

    private func millisecondsUntilTick() -> Int32 {
        let remaining = (nextTick - ContinuousClock.now).nanosecondsClamped
        if remaining <= 0 { return 0 }
        return Int32(clamping: (remaining + 999_999) / 1_000_000)
    }

    private func consumeWake() {
        wakeState.withLock { state in
            var value: UInt64 = 0
            _ = Glibc.read(wakeDescriptor, &value, MemoryLayout<UInt64>.size)
            state.isPending = false
        }
    }

    private func tearDown() {
        wakeState.withLock { state in
            Syscalls.close(state.fileDescriptor)
            state.fileDescriptor = -1
        }
        Syscalls.close(epollDescriptor)
        epollDescriptor = -1
        wakeDescriptor = -1
        readyChannels.removeAll()
        channels.removeAll()
    }
}
