/// Which readiness mechanism drives the lanes. Both run the same connection code and the same tests.
public enum IOBackendKind: String, Sendable, CaseIterable {
    /// One epoll loop per lane, running as a block on the lane's serial DispatchQueue (Linux).
    case epoll
    /// One DispatchSourceRead per connection (suspended/resumed for backpressure) plus a lazily
    /// created DispatchSourceWrite that is resumed only while output is pending.
    case dispatch
}
