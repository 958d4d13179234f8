/// Classic versus environment keys, told apart the way libhoney, Refinery and husky do: empty, 32
/// lowercase hex characters, or a 64-character `hc?ic_` ingest key are classic; anything else belongs to
/// an environment. The distinction picks OTLP dataset rules and the `/1/auth` answer.
public enum APIKeyKind: Sendable, Equatable {
    case classic
    case environment

    public init(key: String) {
        let bytes = Array(key.utf8)
        if bytes.isEmpty {
            self = .classic
        } else if bytes.count == 32, bytes.allSatisfy(Self.isLowerHex) {
            self = .classic
        } else if bytes.count == 64, bytes[0] == UInt8(ascii: "h"), bytes[1] == UInt8(ascii: "c"),
                  Self.isLowerAlpha(bytes[2]), bytes[3] == UInt8(ascii: "i"), bytes[4] == UInt8(ascii: "c"),
                  bytes[5] == UInt8(ascii: "_"), bytes[6...].allSatisfy({ Self.isLowerAlpha($0) || Self.isDigit($0) }) {
            self = .classic
        } else {
            self = .environment
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private static func isLowerAlpha(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
    private static func isLowerHex(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
    }
}
