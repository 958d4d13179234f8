internal import CCrypto

/// SHA-256 of an API key: how keys are kept at rest (the key file may hold only digests) and compared.
public struct APIKeyDigest: Sendable, Hashable {
    /// The 32 digest bytes.
    public let bytes: [UInt8]

    public init(key: String) {
        var digest = [UInt8](repeating: 0, count: 32)  // SHA256_DIGEST_LENGTH
        var key = key
        key.withUTF8 { input in
            digest.withUnsafeMutableBufferPointer { output in
                _ = SHA256(input.baseAddress, input.count, output.baseAddress)
            }
        }
        bytes = digest
    }

    /// Parses 64 hex digits (either case); nil for anything else.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var parsed: [UInt8] = []
        parsed.reserveCapacity(32)
        var index = 0
        while index < 64 {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            parsed.append(high << 4 | low)
            index += 2
        }
        bytes = parsed
    }

    /// Lowercase hex of the whole digest (what `kelpie keys hash` prints).
    public var hex: String { Self.hex(bytes[...]) }

    /// Compares in time independent of where the digests differ (OpenSSL's CRYPTO_memcmp).
    public func constantTimeEquals(_ other: APIKeyDigest) -> Bool {
        guard bytes.count == other.bytes.count else { return false }
        return bytes.withUnsafeBytes { lhs in
            other.bytes.withUnsafeBytes { rhs in CRYPTO_memcmp(lhs.baseAddress, rhs.baseAddress, lhs.count) == 0 }
        }
    }

    static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        let hexDigits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            hex.append(hexDigits[Int(byte >> 4)])
            hex.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
