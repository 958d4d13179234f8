/// Why a `TLSContext` could not be made. `reason` is OpenSSL's own text (or the system error).
public enum TLSError: Error, Equatable, CustomStringConvertible {
    /// The certificate chain file is missing, unreadable or not a PEM certificate.
    case certificate(path: String, reason: String)
    /// The private key file is missing, unreadable or not a PEM private key.
    case privateKey(path: String, reason: String)
    /// Both load, but the key is not the certificate's.
    case keyMismatch(certificatePath: String, privateKeyPath: String)
    /// A setting OpenSSL refused (cipher list, groups, ALPN names) or an allocation failed.
    case setup(String)

    public var description: String {
        switch self {
        case .certificate(let path, let reason): "cannot load certificate chain '\(path)': \(reason)"
        case .privateKey(let path, let reason): "cannot load private key '\(path)': \(reason)"
        case .keyMismatch(let certificate, let key): "private key '\(key)' does not match certificate '\(certificate)'"
        case .setup(let reason): "TLS setup failed: \(reason)"
        }
    }
}
