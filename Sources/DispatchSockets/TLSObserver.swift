/// What a TLS listener reports; the composition root turns it into metrics. Called from I/O lanes,
/// concurrently: implementations must be cheap and thread-safe.
public protocol TLSObserver: Sendable {
    func tlsHandshakeFinished(_ outcome: TLSHandshakeOutcome)
}
