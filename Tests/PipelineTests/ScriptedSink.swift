import Locking
@testable import Pipeline

/// A sink the test drives: deliver, fail, hold blocks until released, or reject chosen events; it records
/// every line it confirmed, in confirmation order.
final class ScriptedSink: Sink {
    enum Mode: Sendable {
        case deliver
        case fail(String)
        case hold
        /// Rejects events whose line contains `marker`, delivers the rest.
        case reject(marker: String, reason: String)
    }

    private struct State {
        var mode: Mode = .deliver
        var held: [(SinkBlock, @Sendable (SinkOutcome) -> Void)] = []
        var delivered: [String] = []
        var attempts = 0
    }

    let name = "scripted"
    private let state = Lock(State())

    init(mode: Mode = .deliver) {
        state.withLock { $0.mode = mode }
    }

    func deliver(_ block: SinkBlock, completion: @escaping @Sendable (SinkOutcome) -> Void) {
        let outcome = state.withLock { state -> SinkOutcome? in
            state.attempts += 1
            switch state.mode {
            case .deliver:
                state.delivered += Self.lines(block)
                return .delivered(rejected: [])
            case .fail(let reason):
                return .failed(reason: reason)
            case .hold:
                state.held.append((block, completion))
                return nil
            case .reject(let marker, let reason):
                var rejected: [SinkRejection] = []
                for index in block.events.indices {
                    let line = String(decoding: block.line(of: index), as: UTF8.self)
                    if line.contains(marker) {
                        rejected.append(SinkRejection(eventIndex: index, reason: reason))
                    } else {
                        state.delivered.append(line)
                    }
                }
                return .delivered(rejected: rejected)
            }
        }
        if let outcome { completion(outcome) }
    }

    func flush(timeout: Duration) -> Bool { true }
    func close() {}

    func setMode(_ mode: Mode) { state.withLock { $0.mode = mode } }

    /// Confirms every held block as delivered.
    func releaseHeld() {
        let held = state.withLock { state -> [(SinkBlock, @Sendable (SinkOutcome) -> Void)] in
            defer { state.held.removeAll() }
            for (block, _) in state.held { state.delivered += Self.lines(block) }
            return state.held
        }
        for (_, completion) in held { completion(.delivered(rejected: [])) }
    }

    var deliveredLines: [String] { state.withLock { $0.delivered } }
    var attempts: Int { state.withLock { $0.attempts } }
    var heldBlocks: Int { state.withLock { $0.held.count } }

    private static func lines(_ block: SinkBlock) -> [String] {
        block.events.indices.map { String(decoding: block.line(of: $0), as: UTF8.self) }
    }
}
