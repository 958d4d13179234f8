import Locking

/// A response a route promises and completes later, from any thread. Completing it hands over only a
/// builder: the connection runs the builder on its own lane, so the reply body and the request's metrics
/// are made there, never on the completing thread (the WAL writer's group-commit loop).
///
/// One completion counts; later ones are ignored.
public final class PendingResponse: Sendable {
    public typealias Builder = @Sendable () -> HTTPResponse
    typealias Observer = @Sendable (@escaping Builder) -> Void

    private enum State {
        case waiting
        case completed(Builder)
        case observed(Observer)
        case delivered
    }

    private let state = Lock<State>(.waiting)

    public init() {}

    /// Completes the answer; `build` runs later on the connection's lane.
    public func complete(_ build: @escaping Builder) {
        let observer: Observer? = state.withLock { state in
            switch state {
            case .waiting:
                state = .completed(build)
                return nil
            case .observed(let observer):
                state = .delivered
                return observer
            case .completed, .delivered:
                return nil
            }
        }
        observer?(build)
    }

    /// Completes the answer with a response that is already built.
    public func complete(with response: HTTPResponse) {
        complete { response }
    }

    /// The waiting side: returns the builder at once when the answer is already complete (the caller then
    /// needs no hop), otherwise keeps `observer`, which the completing thread calls exactly once.
    func builderOrObserve(_ observer: @escaping Observer) -> Builder? {
        state.withLock { state in
            switch state {
            case .completed(let build):
                state = .delivered
                return build
            case .waiting:
                state = .observed(observer)
                return nil
            case .observed, .delivered:
                preconditionFailure("a PendingResponse is awaited once")
            }
        }
    }

    /// A pending response completed with `transform` applied to this one's response (on the lane too).
    public func map(_ transform: @escaping @Sendable (HTTPResponse) -> HTTPResponse) -> PendingResponse {
        let mapped = PendingResponse()
        if let build = builderOrObserve({ build in mapped.complete { transform(build()) } }) {
            mapped.complete { transform(build()) }
        }
        return mapped
    }
}
