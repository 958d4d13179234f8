import EventModel
import Testing

@Suite struct ByteBufferTests {
    @Test func bufferGrowsBeyondItsInitialCapacity() {
        var buffer = ByteBuffer(capacity: 1)
        defer { buffer.deallocate() }
        let chunk = [UInt8](repeating: 7, count: 1000)
        for _ in 0..<5 { buffer.append(chunk) }
        buffer.append(9)
        #expect(buffer.count == 5001)
        #expect(buffer.makeArray().last == 9)
        #expect(buffer.makeArray().dropLast().allSatisfy { $0 == 7 })
    }

    @Test func arrayKeepsTheRequestedSpareCapacity() {
        var buffer = ByteBuffer(capacity: 16)
        defer { buffer.deallocate() }
        buffer.append("abc")
        let array = buffer.makeArray(spareCapacity: 64)
        #expect(array == Array("abc".utf8))
        #expect(array.capacity - array.count >= 64)
    }
}
