internal import CSystemShims
internal import Glibc

/// One descriptor in a lane's epoll set, edge-triggered. Read interest (EPOLLIN|EPOLLRDHUP) stays
/// registered for the descriptor's life, so pausing costs no syscall: an edge that arrives while
/// paused is remembered in `mayHaveInput` and resuming re-reads. EPOLLOUT is registered only while
/// the target has output pending.
final class EpollChannel: ReadinessChannel, @unchecked Sendable {  // unchecked: lane-confined; only its lane's epoll loop calls it
    private static let readEvents = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue

    unowned let loop: EpollLaneLoop
    let fileDescriptor: Int32
    private var target: (any ReadinessTarget)?
    var slot: UInt32 = 0
    var token: UInt64 = .max
    var isQueuedReady = false
    private var registeredEvents: UInt32 = 0
    private var isRegistered = false
    private var isClosed = false
    private var closeNotificationPending = false
    /// The kernel may hold input we have not read (an edge arrived and no read since said empty).
    private var mayHaveInput = false
    /// EPOLLRDHUP/EPOLLHUP seen: a FIN may sit behind the data, so short reads prove nothing.
    private var peerShutdownSeen = false

    init(loop: EpollLaneLoop, fileDescriptor: Int32, target: any ReadinessTarget) {
        self.loop = loop
        self.fileDescriptor = fileDescriptor
        self.target = target
    }

    private func desiredEvents(for target: any ReadinessTarget) -> UInt32 {
        target.wantsWritable ? Self.readEvents | EPOLLOUT.rawValue : Self.readEvents
    }

    func activate() {
        guard !isRegistered, !isClosed, let target else { return }
        let events = desiredEvents(for: target)
        guard loop.register(self, events: events) else {
            // Cannot watch it (should not happen for a fresh socket): close it rather than leak.
            close()
            return
        }
        registeredEvents = events
        isRegistered = true
    }

    func interestDidChange() {
        guard isRegistered, !isClosed, let target else { return }
        let desired = desiredEvents(for: target)
        if desired != registeredEvents {
            loop.modify(self, events: desired)
            registeredEvents = desired
        }
        if mayHaveInput, target.wantsReadable {
            loop.enqueueReady(self)
        }
    }

    func handleEvents(_ flags: UInt32) {
        guard !isClosed, let target else { return }
        if flags & EPOLLERR.rawValue != 0 {
            target.handleSocketError()
            return
        }
        if flags & (EPOLLRDHUP.rawValue | EPOLLHUP.rawValue) != 0 {
            peerShutdownSeen = true
        }
        if flags & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue) != 0 {
            mayHaveInput = true
            if target.wantsReadable { serviceRead(target) }
        }
        if !isClosed, flags & (EPOLLOUT.rawValue | EPOLLHUP.rawValue) != 0, target.wantsWritable {
            target.handleWritable()
        }
    }

    /// From the loop's ready list: deliver a pending close, or continue reading.
    func serviceReady() {
        if closeNotificationPending {
            closeNotificationPending = false
            let target = self.target
            self.target = nil
            target?.channelDidClose()
            return
        }
        guard !isClosed, let target, mayHaveInput, target.wantsReadable else { return }
        serviceRead(target)
    }

    private func serviceRead(_ target: any ReadinessTarget) {
        let progress = target.handleReadable(trustShortReads: !peerShutdownSeen)
        guard !isClosed else { return }
        switch progress {
        case .drained:
            mayHaveInput = false
        case .inputMayRemain:
            mayHaveInput = true
            // Stopped at the byte bound: continue after the other ready descriptors had a turn.
            if target.wantsReadable { loop.enqueueReady(self) }
        }
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        if isRegistered {
            loop.deregister(self)
            isRegistered = false
        }
        Syscalls.close(fileDescriptor)
        closeNotificationPending = true
        loop.enqueueReady(self)
    }
}
