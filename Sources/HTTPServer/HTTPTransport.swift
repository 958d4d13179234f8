import DispatchSockets

/// What ``HTTPConnection`` needs of the connection under it: the seam that lets its unit tests drive it with
/// a recording fake instead of a socket. `DispatchSockets.Connection` is the one real implementation.
/// Every member is called on the connection's lane, except `execute`, which is how other threads get there.
protocol HTTPTransport: AnyObject, Sendable {
    /// Traps unless called on the connection's lane (debug builds).
    func assertOnLane()
    func write(_ bytes: [UInt8])
    func pauseReading()
    func resumeReading()
    func setDeadline(_ deadline: ContinuousClock.Instant?)
    func close(flushingOutput: Bool)
    /// Runs `work` on the connection's lane, from any thread.
    func execute(_ work: @escaping @Sendable () -> Void)
    /// Bytes written but not yet sent.
    var pendingOutputBytes: Int { get }
    /// A per-lane slot for caches shared by the lane's connections.
    var laneLocal: AnyObject? { get set }
    /// The lane's number, for request records.
    var laneIndex: Int { get }
}

extension Connection: HTTPTransport {}
