/// The msgpack subset needed to read batch replies: arrays, maps, strings, ints, and skipping anything else.
public struct MsgPackReader: Sendable {
    private let bytes: [UInt8]
    public private(set) var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public enum ReadError: Error, Equatable { case truncated, unexpectedType(UInt8) }

    mutating func byte() throws(ReadError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func bigEndian(_ width: Int) throws(ReadError) -> UInt64 {
        guard offset + width <= bytes.count else { throw .truncated }
        var value: UInt64 = 0
        for index in 0..<width { value = value << 8 | UInt64(bytes[offset + index]) }
        offset += width
        return value
    }

    public mutating func readArrayHeader() throws(ReadError) -> Int {
        let lead = try byte()
        switch lead {
        case 0x90...0x9F: return Int(lead & 0x0F)
        case 0xDC: return Int(try bigEndian(2))
        case 0xDD: return Int(try bigEndian(4))
        default: throw .unexpectedType(lead)
        }
    }

    public mutating func readMapHeader() throws(ReadError) -> Int {
        let lead = try byte()
        switch lead {
        case 0x80...0x8F: return Int(lead & 0x0F)
        case 0xDE: return Int(try bigEndian(2))
        case 0xDF: return Int(try bigEndian(4))
        default: throw .unexpectedType(lead)
        }
    }

    public mutating func readString() throws(ReadError) -> String {
        let lead = try byte()
        let length: Int
        switch lead {
        case 0xA0...0xBF: length = Int(lead & 0x1F)
        case 0xD9: length = Int(try bigEndian(1))
        case 0xDA: length = Int(try bigEndian(2))
        case 0xDB: length = Int(try bigEndian(4))
        default: throw .unexpectedType(lead)
        }
        guard offset + length <= bytes.count else { throw .truncated }
        defer { offset += length }
        return String(decoding: bytes[offset..<(offset + length)], as: UTF8.self)
    }

    public mutating func readInt() throws(ReadError) -> Int64 {
        let lead = try byte()
        switch lead {
        case 0x00...0x7F: return Int64(lead)
        case 0xE0...0xFF: return Int64(Int8(bitPattern: lead))
        case 0xCC: return Int64(try bigEndian(1))
        case 0xCD: return Int64(try bigEndian(2))
        case 0xCE: return Int64(try bigEndian(4))
        case 0xCF: return Int64(bitPattern: try bigEndian(8))
        case 0xD0: return Int64(Int8(truncatingIfNeeded: try bigEndian(1)))
        case 0xD1: return Int64(Int16(truncatingIfNeeded: try bigEndian(2)))
        case 0xD2: return Int64(Int32(truncatingIfNeeded: try bigEndian(4)))
        case 0xD3: return Int64(bitPattern: try bigEndian(8))
        default: throw .unexpectedType(lead)
        }
    }

    public mutating func skipValue() throws(ReadError) {
        let lead = try byte()
        switch lead {
        case 0x00...0x7F, 0xE0...0xFF, 0xC0, 0xC2, 0xC3: return
        case 0x80...0x8F: try skip(values: Int(lead & 0x0F) * 2)
        case 0x90...0x9F: try skip(values: Int(lead & 0x0F))
        case 0xA0...0xBF: try advance(Int(lead & 0x1F))
        case 0xCC, 0xD0: try advance(1)
        case 0xCD, 0xD1: try advance(2)
        case 0xCE, 0xD2, 0xCA: try advance(4)
        case 0xCF, 0xD3, 0xCB: try advance(8)
        case 0xD9, 0xC4: try advance(Int(try bigEndian(1)))
        case 0xDA, 0xC5: try advance(Int(try bigEndian(2)))
        case 0xDB, 0xC6: try advance(Int(try bigEndian(4)))
        case 0xDC: try skip(values: Int(try bigEndian(2)))
        case 0xDD: try skip(values: Int(try bigEndian(4)))
        case 0xDE: try skip(values: Int(try bigEndian(2)) * 2)
        case 0xDF: try skip(values: Int(try bigEndian(4)) * 2)
        case 0xD4: try advance(2)
        case 0xD5: try advance(3)
        case 0xD6: try advance(5)
        case 0xD7: try advance(9)
        case 0xD8: try advance(17)
        case 0xC7: try advance(Int(try bigEndian(1)) + 1)
        case 0xC8: try advance(Int(try bigEndian(2)) + 1)
        case 0xC9: try advance(Int(try bigEndian(4)) + 1)
        default: throw .unexpectedType(lead)
        }
    }

    mutating func skip(values: Int) throws(ReadError) {
        for _ in 0..<values { try skipValue() }
    }

    mutating func advance(_ count: Int) throws(ReadError) {
        guard offset + count <= bytes.count else { throw .truncated }
        offset += count
    }
}
