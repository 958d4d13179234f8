/// How a TLS listener terminates TLS, with defaults in one place. Units are in the names. Protocol
/// versions are fixed: TLS 1.2 and 1.3 only.
public struct TLSConfiguration: Sendable, Equatable {
    /// PEM file: the server certificate first, then any intermediates.
    public var certificateChainPath: String
    /// PEM file: the private key of the certificate (not encrypted).
    public var privateKeyPath: String
    /// A connection that has not completed its handshake this long after accept is closed.
    /// Default 10 s.
    public var handshakeTimeout: Duration
    /// ALPN protocols in order of preference; the one negotiated is `Connection.tls?.applicationProtocol`.
    /// A client that offers ALPN but none of these is refused. Default ["http/1.1"].
    public var applicationProtocols: [String]
    /// TLS 1.2 cipher list (OpenSSL syntax): forward-secret AEAD suites only. TLS 1.3 suites are
    /// `tls13CipherSuites`.
    public var tls12CipherList: String
    public var tls13CipherSuites: String
    /// Key-exchange groups, in order of preference.
    public var groups: String
    /// Sessions kept in the server-side session cache (TLS 1.2 session ids). Default 20,000.
    public var sessionCacheSize: Int
    /// How long a cached session or a session ticket may be resumed. Default 2 h.
    public var sessionTimeout: Duration

    /// Mozilla's "intermediate" TLS 1.2 list: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305.
    public static let defaultTLS12CipherList = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")
    public static let defaultTLS13CipherSuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
    public static let defaultGroups = "X25519:P-256:P-384"

    public init(
        certificateChainPath: String,
        privateKeyPath: String,
        handshakeTimeout: Duration = .seconds(10),
        applicationProtocols: [String] = ["http/1.1"],
        tls12CipherList: String = TLSConfiguration.defaultTLS12CipherList,
        tls13CipherSuites: String = TLSConfiguration.defaultTLS13CipherSuites,
        groups: String = TLSConfiguration.defaultGroups,
        sessionCacheSize: Int = 20_000,
        sessionTimeout: Duration = .seconds(7200)
    ) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.handshakeTimeout = handshakeTimeout
        self.applicationProtocols = applicationProtocols
        self.tls12CipherList = tls12CipherList
        self.tls13CipherSuites = tls13CipherSuites
        self.groups = groups
        self.sessionCacheSize = sessionCacheSize
        self.sessionTimeout = sessionTimeout
    }
}
