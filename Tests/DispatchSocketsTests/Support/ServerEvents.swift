import Locking
@testable import DispatchSockets

/// What every test handler reports, readable from the test.
final class ServerEvents: Sendable {
    struct State {
        var opened = 0
        var closedIDs: Set<UInt64> = []
        var duplicateCloses = 0
        var callbacksAfterClose = 0
        var bytesRead = 0
        var eofs = 0
        var drains = 0
        var deadlineExpirations: [UInt64: ContinuousClock.Instant] = [:]
        var connections: [UInt64: Connection] = [:]
        var notes: [String: Int] = [:]
    }

    /// A pthread lock (TSan-visible), not Synchronization.Mutex.
    let state = Lock(State())

    func read<Value>(_ body: (State) -> Value) -> Value {
        state.withLock { body($0) }
    }

    var closedCount: Int { read { $0.closedIDs.count } }
    var openedCount: Int { read { $0.opened } }

    func note(_ key: String, by amount: Int = 1) {
        state.withLock { $0.notes[key, default: 0] += amount }
    }

    func noteValue(_ key: String) -> Int {
        read { $0.notes[key] ?? 0 }
    }

    /// Open connections in id order.
    func openConnections() -> [Connection] {
        read { state in state.connections.sorted { $0.key < $1.key }.map(\.value) }
    }
}

/// Closures a test swaps in; the defaults make an echo server that closes (flushing) at EOF.
struct HandlerScript: Sendable {
    var onOpen: @Sendable (Connection, ServerEvents) -> Void = { _, _ in }
    var onRead: @Sendable (Connection, [UInt8], ServerEvents) -> Void = { connection, bytes, _ in connection.write(bytes) }
    var onEOF: @Sendable (Connection, ServerEvents) -> Void = { connection, _ in connection.close(flushingOutput: true) }
    var onDeadline: @Sendable (Connection, ServerEvents) -> Void = { connection, _ in connection.close(flushingOutput: false) }
    var onDrain: @Sendable (Connection, ServerEvents) -> Void = { _, _ in }

    static let echo = HandlerScript()
}

/// Records every callback in `ServerEvents`, checks the callback contract, then runs the script.
final class ScriptedHandler: ConnectionHandler {
    let events: ServerEvents
    let script: HandlerScript
    private var isClosed = false

    init(events: ServerEvents, script: HandlerScript) {
        self.events = events
        self.script = script
    }

    private func checkOpen() {
        if isClosed { events.state.withLock { $0.callbacksAfterClose += 1 } }
    }

    func connectionDidOpen(_ connection: Connection) {
        checkOpen()
        events.state.withLock {
            $0.opened += 1
            $0.connections[connection.id] = connection
        }
        script.onOpen(connection, events)
    }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        checkOpen()
        events.state.withLock { $0.bytesRead += bytes.count }
        script.onRead(connection, Array(bytes), events)
    }

    func connectionDidReadEOF(_ connection: Connection) {
        checkOpen()
        events.state.withLock { $0.eofs += 1 }
        script.onEOF(connection, events)
    }

    func connectionDeadlineExpired(_ connection: Connection) {
        checkOpen()
        let now = ContinuousClock.now
        events.state.withLock { $0.deadlineExpirations[connection.id] = now }
        script.onDeadline(connection, events)
    }

    func connectionDidDrainOutput(_ connection: Connection) {
        checkOpen()
        events.state.withLock { $0.drains += 1 }
        script.onDrain(connection, events)
    }

    func connectionDidClose(_ connection: Connection) {
        checkOpen()
        isClosed = true
        events.state.withLock {
            if !$0.closedIDs.insert(connection.id).inserted { $0.duplicateCloses += 1 }
            $0.connections[connection.id] = nil
        }
    }
}
