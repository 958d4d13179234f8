/// The client connection preface (RFC 9113 §3.4). A client with prior knowledge of HTTP/2 (h2c) starts
/// with it; no HTTP/1.1 request can (PRI is not a method anyone serves), so one port can tell them apart.
public enum HTTP2Preface {
    public static let bytes: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    public enum Match: Sendable, Equatable {
        /// The input starts with the whole preface.
        case http2
        /// The input differs from the preface somewhere: HTTP/1.1 (or garbage for its parser to reject).
        case notHTTP2
        /// Every byte so far matches, but the preface is not complete yet.
        case needMore
    }

    /// Compares the first bytes of a connection with the preface.
    public static func match(_ input: UnsafeRawBufferPointer) -> Match {
        let count = min(input.count, bytes.count)
        for index in 0..<count where input[index] != bytes[index] {
            return .notHTTP2
        }
        return count == bytes.count ? .http2 : .needMore
    }
}
