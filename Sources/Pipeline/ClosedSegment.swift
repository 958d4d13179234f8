/// A segment no longer written to (or found at startup), as retention sees it.
struct ClosedSegment: Equatable {
    var sequence: UInt64
    var path: String
    var size: Int64
}
