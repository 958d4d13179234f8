/// What the layer above implements for each connection. Callbacks arrive on the connection's lane
/// queue, one at a time, never concurrently and never re-entrantly for one connection.
public protocol ConnectionHandler: AnyObject {
    func connectionDidOpen(_ connection: Connection)
    /// `bytes` is valid only during the call (it points into the lane's receive buffer).
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer)
    /// The peer shut down its write side. The connection stays open for writing until closed.
    func connectionDidReadEOF(_ connection: Connection)
    /// The deadline set via `setDeadline` passed (reported once; the deadline is cleared first).
    func connectionDeadlineExpired(_ connection: Connection)
    /// Pending output went to zero after having been non-zero (for write backpressure).
    func connectionDidDrainOutput(_ connection: Connection)
    /// Exactly once, after the descriptor is closed; the last callback.
    func connectionDidClose(_ connection: Connection)
}

extension ConnectionHandler {
    public func connectionDidOpen(_ connection: Connection) {}
    /// Default: finish sending what is pending, then close.
    public func connectionDidReadEOF(_ connection: Connection) {
        connection.close(flushingOutput: true)
    }
    /// Default: close at once.
    public func connectionDeadlineExpired(_ connection: Connection) {
        connection.close(flushingOutput: false)
    }
    public func connectionDidDrainOutput(_ connection: Connection) {}
    public func connectionDidClose(_ connection: Connection) {}
}
