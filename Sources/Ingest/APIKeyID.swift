internal import CCrypto

/// A short, stable, non-reversible identity for an API key, safe to log, store and put in metrics.
public enum APIKeyID {
    /// Hex characters kept from the digest (64 bits: collisions are irrelevant at any realistic key count).
    public static let hexLength = 16

    /// The first 16 lowercase hex characters of SHA-256 over the key's UTF-8 bytes. The raw key is never
    /// kept; callers must not log or store it either.
    public static func of(_ key: String) -> String {
        var digest = [UInt8](repeating: 0, count: 32)  // SHA256_DIGEST_LENGTH
        var key = key
        key.withUTF8 { bytes in
            digest.withUnsafeMutableBufferPointer { output in
                _ = SHA256(bytes.baseAddress, bytes.count, output.baseAddress)
            }
        }
        let hexDigits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(hexLength)
        for byte in digest.prefix(hexLength / 2) {
            hex.append(hexDigits[Int(byte >> 4)])
            hex.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
