/// What the relay last learned about its upstream; a change is logged once.
public enum RelayHealth: String, Sendable, Equatable {
    /// The upstream answered with our key accepted.
    case reachable
    /// 401/403: the upstream refuses our key; events stay queued (WAL with ack=durable) until it accepts it.
    case unauthorized
    /// No connection could be made (refused, unresolvable host).
    case unreachable
}
