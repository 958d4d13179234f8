/// A run of canonical event lines handed to a sink at once, with each event's line and the positions of its
/// dataset and key id inside it, so a sink can key, route and label records without parsing JSON.
///
/// `lines` holds complete lines, each ending in `\n`; every range points into `lines` and excludes the `\n`.
public struct SinkBlock: Sendable {
    public struct Event: Sendable, Equatable {
        /// The canonical JSON object, `{` to `}`.
        public var line: Range<Int>
        /// The dataset's JSON string contents (still escaped; see ``SinkBlock/dataset(of:)``).
        public var dataset: Range<Int>
        /// The key id's characters (hex digits; never escaped).
        public var keyID: Range<Int>
    }

    public let lines: [UInt8]
    public let events: [Event]

    /// Indexes `lines` (complete canonical lines, each ending in `\n`). A line that is not canonical (no
    /// leading dataset or no key id) is skipped and counted in `malformedLines`; the WAL writes only
    /// canonical lines, so that means a damaged file.
    public init(lines: [UInt8]) {
        var events: [Event] = []
        var malformed = 0
        lines.withUnsafeBytes { bytes in
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
                if let event = CanonicalLine.locate(in: bytes, line: start..<end) {
                    events.append(event)
                } else if end > start {
                    malformed += 1
                }
                start = end + 1
            }
        }
        self.lines = lines
        self.events = events
        self.malformedLines = malformed
    }

    /// Lines that were not canonical events (see ``init(lines:)``).
    public let malformedLines: Int

    /// Total bytes of the events' lines, without newlines.
    public var eventBytes: Int { events.reduce(0) { $0 + $1.line.count } }

    /// The dataset name of event `index`, unescaped.
    public func dataset(of index: Int) -> String {
        CanonicalLine.unescape(lines[events[index].dataset])
    }

    /// The key id of event `index`.
    public func keyID(of index: Int) -> String {
        String(decoding: lines[events[index].keyID], as: UTF8.self)
    }

    /// The canonical line of event `index`, without its newline.
    public func line(of index: Int) -> ArraySlice<UInt8> {
        lines[events[index].line]
    }
}
