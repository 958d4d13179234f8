/// A segment file found on disk.
struct SegmentEntry: Equatable {
    var sequence: UInt64
    var path: String
}
