/// `grpc-message` encoding (grpc/doc/PROTOCOL-HTTP2.md): the UTF-8 bytes, with every byte outside
/// printable ASCII (0x20–0x7E) and `%` itself written as `%XX` (upper-case hex).
public enum GRPCPercentEncoding {
    public static func encode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if byte >= 0x20, byte <= 0x7e, byte != UInt8(ascii: "%") {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "%"))
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0f)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
