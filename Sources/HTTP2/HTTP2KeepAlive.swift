/// When an HTTP/2 connection has been quiet too long, as a pure state machine: the connection driver
/// reports activity and asks, at ``deadline(openStreams:)``, what to do. Idle (no stream) past
/// ``HTTP2Limits/idleTimeout`` → graceful GOAWAY; silent with streams open past
/// ``HTTP2Limits/pingAfterSilence`` → PING; a PING unanswered past ``HTTP2Limits/pingTimeout`` → close.
public struct HTTP2KeepAlive: Sendable {
    public enum Action: Sendable, Equatable {
        case none
        case sendPing
        case goAwayIdle
        case close
    }

    private let idleTimeout: Duration
    private let pingAfterSilence: Duration
    private let pingTimeout: Duration
    private var lastActivity: ContinuousClock.Instant
    private var pingSentAt: ContinuousClock.Instant?

    public init(limits: HTTP2Limits, now: ContinuousClock.Instant) {
        self.idleTimeout = limits.idleTimeout
        self.pingAfterSilence = limits.pingAfterSilence
        self.pingTimeout = limits.pingTimeout
        self.lastActivity = now
    }

    /// Bytes arrived from the client, or a stream finished.
    public mutating func activity(at now: ContinuousClock.Instant) {
        lastActivity = max(lastActivity, now)
    }

    public mutating func pingAcknowledged(at now: ContinuousClock.Instant) {
        pingSentAt = nil
        activity(at: now)
    }

    /// The instant at which ``deadlinePassed(now:openStreams:)`` has something to decide.
    public func deadline(openStreams: Int) -> ContinuousClock.Instant {
        if let pingSentAt { return pingSentAt + pingTimeout }
        return lastActivity + (openStreams == 0 ? idleTimeout : pingAfterSilence)
    }

    public mutating func deadlinePassed(now: ContinuousClock.Instant, openStreams: Int) -> Action {
        guard now >= deadline(openStreams: openStreams) else { return .none }
        if pingSentAt != nil { return .close }
        if openStreams == 0 { return .goAwayIdle }
        pingSentAt = now
        return .sendPing
    }
}
