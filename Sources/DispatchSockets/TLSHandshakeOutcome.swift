/// How one TLS handshake ended, as reported to a `TLSObserver`.
public enum TLSHandshakeOutcome: Sendable, Equatable {
    case completed(TLSConnectionInfo)
    /// A protocol error: plaintext on the TLS port, an unsupported version, no shared cipher or ALPN.
    case failed
    /// Not completed within `TLSConfiguration.handshakeTimeout`.
    case timedOut
    /// The peer closed (or reset) before completing it, e.g. a TCP health check.
    case peerClosed
}
