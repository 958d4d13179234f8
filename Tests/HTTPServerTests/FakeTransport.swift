import Locking
@testable import HTTPServer

/// A connection without a socket: records what ``HTTPConnection`` does to it, and holds work sent to the
/// lane through `execute` until the test runs it (the lane hop made explicit).
final class FakeTransport: HTTPTransport, @unchecked Sendable {  // unchecked: `laneLocal` is touched only by the test's own thread (the "lane"); the rest sits in `state`
    struct State {
        var written: [UInt8] = []
        var readingPaused = false
        var deadline: ContinuousClock.Instant?
        var closed: Bool?  // nil: open; else whether output was to be flushed
        var executed: [@Sendable () -> Void] = []
        var pendingOutputBytes = 0
    }

    let state = Lock(State())
    var laneLocal: AnyObject?
    let laneIndex = 0

    func assertOnLane() {}
    func write(_ bytes: [UInt8]) { state.withLock { $0.written += bytes } }
    func pauseReading() { state.withLock { $0.readingPaused = true } }
    func resumeReading() { state.withLock { $0.readingPaused = false } }
    func setDeadline(_ deadline: ContinuousClock.Instant?) { state.withLock { $0.deadline = deadline } }
    func close(flushingOutput: Bool) { state.withLock { $0.closed = flushingOutput } }
    func execute(_ work: @escaping @Sendable () -> Void) { state.withLock { $0.executed.append(work) } }
    var pendingOutputBytes: Int { state.withLock { $0.pendingOutputBytes } }

    /// Everything written so far, as text; clears it.
    func takeOutput() -> String {
        String(decoding: state.withLock { state in defer { state.written = [] }; return state.written }, as: UTF8.self)
    }

    /// Runs the work other threads sent to the lane, as the lane would.
    func runLaneWork() {
        for work in state.withLock({ state in defer { state.executed = [] }; return state.executed }) { work() }
    }

    var isPaused: Bool { state.withLock { $0.readingPaused } }
    var closedFlushing: Bool? { state.withLock { $0.closed } }
    var queuedLaneWork: Int { state.withLock { $0.executed.count } }
}
