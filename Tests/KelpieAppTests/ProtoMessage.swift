/// Just enough protobuf reading for `google.rpc.Status` and its details: each field's last varint or bytes.
struct ProtoMessage {
    private var varints: [UInt64: UInt64] = [:]
    private var lengthDelimited: [UInt64: [UInt8]] = [:]

    struct Malformed: Error {}

    init(_ bytes: [UInt8]) throws {
        var index = 0
        func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.count, shift < 64 {
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            throw Malformed()
        }
        while index < bytes.count {
            let tag = try varint()
            switch tag & 7 {
            case 0: varints[tag >> 3] = try varint()
            case 2:
                let length = Int(try varint())
                guard length <= bytes.count - index else { throw Malformed() }
                lengthDelimited[tag >> 3] = Array(bytes[index..<index + length])
                index += length
            default: throw Malformed()
            }
        }
    }

    func varint(_ field: UInt64) -> UInt64? { varints[field] }
    func bytes(_ field: UInt64) -> [UInt8]? { lengthDelimited[field] }
    func string(_ field: UInt64) -> String? { lengthDelimited[field].map { String(decoding: $0, as: UTF8.self) } }
}
