// The seam between socket logic (Connection, Listener) and the readiness mechanism (epoll loop or
// Dispatch sources). Everything here is confined to one lane's serial queue.

/// After a read pass: did the kernel report "nothing more" (EAGAIN, a short read, EOF), or did
/// the pass stop early (byte bound, paused, closed) so input may remain?
enum ReadProgress {
    case drained
    case inputMayRemain
}

/// A socket a lane watches: a connection or the listener.
protocol ReadinessTarget: AnyObject, Sendable {
    /// Read readiness is wanted now (not paused, not at EOF, not closed).
    var wantsReadable: Bool { get }
    /// Write readiness is wanted now (output is pending). Never true for the listener.
    var wantsWritable: Bool { get }
    /// Reads (or accepts) until drained or a per-wakeup bound. `trustShortReads`: a read shorter
    /// than asked means the socket is empty; false once the peer's FIN may be pending unseen.
    func handleReadable(trustShortReads: Bool) -> ReadProgress
    func handleWritable()
    /// The kernel flagged an error on the socket (epoll EPOLLERR).
    func handleSocketError()
    /// The descriptor is closed and will never be reported again; called once, on the lane,
    /// never from inside another callback of the same target.
    func channelDidClose()
}

/// One registered descriptor. Owns the descriptor's readiness registration and closes the
/// descriptor exactly once.
protocol ReadinessChannel: AnyObject, Sendable {
    /// Starts watching; called once, right after the channel is made.
    func activate()
    /// The target's `wantsReadable`/`wantsWritable` may have changed: arm or disarm to match.
    func interestDidChange()
    /// Reads again soon (in a later step on the lane) if the target still wants to read, whatever the
    /// kernel says: for input a layer above the socket (TLS) holds, which readiness cannot show.
    func scheduleRead()
    /// Stops watching and closes the descriptor (now or once the backend lets go of it), then
    /// calls `target.channelDidClose()` from a fresh lane block. Idempotent.
    func close()
}

/// The per-lane readiness machinery.
protocol LaneEventLoop: AnyObject, Sendable {
    /// Allocates resources and starts turning (loop block or tick timer) on the lane queue.
    func start() throws
    func makeChannel(fileDescriptor: Int32, target: any ReadinessTarget) -> any ReadinessChannel
    /// Any thread, after `queue.async`: make sure the lane gets to the new block promptly.
    func wake()
    /// On the lane, with every channel closed: stop turning, release resources, then call
    /// `completion` on the lane.
    func stop(completion: @escaping () -> Void)
}
