/// A request body before compression, with where its verify ids' sequence digits sit (one per event).
public struct EncodedPayload: Sendable {
    public var body: [UInt8]
    public var eventCount: Int
    public var idDigitOffsets: [Int]

    public init(body: [UInt8], eventCount: Int, idDigitOffsets: [Int]) {
        self.body = body
        self.eventCount = eventCount
        self.idDigitOffsets = idDigitOffsets
    }

    /// Writes `sequence + i` (zero-padded) into event i's id digits.
    public mutating func patchSequences(startingAt sequence: UInt64) {
        let width = EventGenerator.verifySequenceDigits
        for (index, offset) in idDigitOffsets.enumerated() {
            var value = sequence &+ UInt64(index)
            var position = offset + width - 1
            for _ in 0..<width {
                body[position] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
                position -= 1
            }
        }
    }
}
