/// A short, stable, non-reversible identity for an API key, safe to log, store and put in metrics.
public enum APIKeyID {
    /// Hex characters kept from the digest (64 bits: collisions are irrelevant at any realistic key count).
    public static let hexLength = 16

    /// The first 16 lowercase hex characters of SHA-256 over the key's UTF-8 bytes. The raw key is never
    /// kept; callers must not log or store it either.
    public static func of(_ key: String) -> String {
        of(APIKeyDigest(key: key))
    }

    /// The same identity from a digest already computed (a key file may hold only digests).
    public static func of(_ digest: APIKeyDigest) -> String {
        APIKeyDigest.hex(digest.bytes.prefix(hexLength / 2))
    }
}
