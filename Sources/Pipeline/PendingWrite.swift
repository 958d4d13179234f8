/// One admitted batch waiting for the writer: its encoded lines and how many events they hold.
struct PendingWrite: Sendable {
    var lines: WALLineBuffer
    var eventCount: Int
}
