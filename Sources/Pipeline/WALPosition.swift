/// A place in the WAL: every line in segments before `sequence`, and the first `offset` bytes of segment
/// `sequence`, come before it. Ordered by (sequence, offset).
struct WALPosition: Sendable, Equatable, Comparable {
    var sequence: UInt64
    var offset: Int64

    static let start = WALPosition(sequence: 0, offset: 0)

    static func < (lhs: WALPosition, rhs: WALPosition) -> Bool {
        lhs.sequence != rhs.sequence ? lhs.sequence < rhs.sequence : lhs.offset < rhs.offset
    }
}
