/// Counts the brokers in a librdkafka statistics document and how many are connected, without a JSON
/// parser: each broker object prints `"nodeid":N` followed by `"state":"…"` (librdkafka's stats emitter,
/// rdkafka.c), and no other producer object has a key spelled exactly `"state"`. Bootstrap and internal
/// entries carry nodeid -1 and are left out.
struct KafkaBrokerStates: Equatable {
    var brokers = 0
    var brokersUp = 0

    init(brokers: Int = 0, brokersUp: Int = 0) {
        self.brokers = brokers
        self.brokersUp = brokersUp
    }

    init(statistics json: UnsafeRawBufferPointer) {
        let nodeID = Array(#""nodeid":"#.utf8)
        let state = Array(#""state":""#.utf8)
        let up = Array("UP".utf8)
        var position = 0
        while let afterNodeID = Self.find(nodeID, in: json, from: position) {
            var cursor = afterNodeID
            var negative = false
            while cursor < json.count, json[cursor] == UInt8(ascii: " ") { cursor += 1 }
            if cursor < json.count, json[cursor] == UInt8(ascii: "-") { negative = true }
            guard let afterState = Self.find(state, in: json, from: cursor) else { break }
            var end = afterState
            while end < json.count, json[end] != UInt8(ascii: "\"") { end += 1 }
            if !negative {
                brokers += 1
                if end - afterState == up.count, json[afterState..<end].elementsEqual(up) { brokersUp += 1 }
            }
            position = end
        }
    }

    /// The index just past the first occurrence of `needle` at or after `start`.
    private static func find(_ needle: [UInt8], in haystack: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first, haystack[index..<index + needle.count].elementsEqual(needle) {
                return index + needle.count
            }
            index += 1
        }
        return nil
    }
}
