internal import CSSL
internal import CSSLShim
internal import Glibc

/// One configured OpenSSL server context (SSL_CTX): the certificate chain and key loaded and checked
/// against each other, versions, ciphers, ALPN and session resumption set. Immutable once made and
/// shared by every connection accepted while it is current. A reload makes a new one
/// (`SocketServer.replaceTLSContext`); connections keep the context they were accepted with.
public final class TLSContext: @unchecked Sendable {  // SSL_CTX is never changed after init; SSL_new on it is thread-safe.
    public let configuration: TLSConfiguration
    let pointer: OpaquePointer
    /// The ALPN list the selection callback reads; lives as long as the SSL_CTX.
    private let applicationProtocols: UnsafeMutablePointer<kelpie_alpn_protocols>

    public init(configuration: TLSConfiguration) throws(TLSError) {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw .setup(Self.takeErrors()) }
        let protocols = UnsafeMutablePointer<kelpie_alpn_protocols>.allocate(capacity: 1)
        protocols.initialize(to: kelpie_alpn_protocols())
        self.configuration = configuration
        self.pointer = context
        self.applicationProtocols = protocols
        try configure(configuration)
    }

    deinit {
        SSL_CTX_free(pointer)
        applicationProtocols.deallocate()
    }

    private func configure(_ configuration: TLSConfiguration) throws(TLSError) {
        guard kelpie_ssl_ctx_configure(pointer) == 1 else { throw .setup("protocol versions: \(Self.takeErrors())") }
        guard SSL_CTX_set_cipher_list(pointer, configuration.tls12CipherList) == 1 else {
            throw .setup("TLS 1.2 cipher list '\(configuration.tls12CipherList)': \(Self.takeErrors())")
        }
        guard SSL_CTX_set_ciphersuites(pointer, configuration.tls13CipherSuites) == 1 else {
            throw .setup("TLS 1.3 cipher suites '\(configuration.tls13CipherSuites)': \(Self.takeErrors())")
        }
        guard kelpie_ssl_ctx_set_groups(pointer, configuration.groups) == 1 else {
            throw .setup("groups '\(configuration.groups)': \(Self.takeErrors())")
        }
        try setApplicationProtocols(configuration.applicationProtocols)
        let timeoutSeconds = max(1, configuration.sessionTimeout.components.seconds)
        kelpie_ssl_ctx_set_session_cache(pointer, max(1, configuration.sessionCacheSize), Int(timeoutSeconds))
        let sessionContext: [UInt8] = Array("kelpie".utf8)
        _ = SSL_CTX_set_session_id_context(pointer, sessionContext, UInt32(sessionContext.count))
        // An encrypted key would make OpenSSL prompt on the terminal; refuse it instead.
        SSL_CTX_set_default_passwd_cb(pointer) { _, _, _, _ in 0 }
        try loadCertificateAndKey(configuration)
    }

    private func setApplicationProtocols(_ names: [String]) throws(TLSError) {
        var wire: [UInt8] = []
        for name in names {
            let bytes = Array(name.utf8)
            guard (1...255).contains(bytes.count) else { throw .setup("ALPN protocol name '\(name)' must be 1...255 bytes") }
            wire.append(UInt8(bytes.count))
            wire += bytes
        }
        guard wire.count <= 255 else { throw .setup("ALPN protocol list longer than 255 bytes") }
        guard !wire.isEmpty else { return }
        withUnsafeMutableBytes(of: &applicationProtocols.pointee.wire) { $0.copyBytes(from: wire) }
        applicationProtocols.pointee.length = UInt32(wire.count)
        kelpie_ssl_ctx_set_alpn_protocols(pointer, applicationProtocols)
    }

    private func loadCertificateAndKey(_ configuration: TLSConfiguration) throws(TLSError) {
        let certificatePath = configuration.certificateChainPath
        let keyPath = configuration.privateKeyPath
        if let problem = Self.unreadable(certificatePath) { throw .certificate(path: certificatePath, reason: problem) }
        if let problem = Self.unreadable(keyPath) { throw .privateKey(path: keyPath, reason: problem) }
        guard SSL_CTX_use_certificate_chain_file(pointer, certificatePath) == 1 else {
            throw .certificate(path: certificatePath, reason: Self.takeErrors())
        }
        guard SSL_CTX_use_PrivateKey_file(pointer, keyPath, SSL_FILETYPE_PEM) == 1 else {
            if kelpie_ssl_error_is_key_mismatch(ERR_peek_error()) == 1 {
                ERR_clear_error()
                throw .keyMismatch(certificatePath: certificatePath, privateKeyPath: keyPath)
            }
            throw .privateKey(path: keyPath, reason: Self.takeErrors())
        }
        guard SSL_CTX_check_private_key(pointer) == 1 else {
            ERR_clear_error()
            throw .keyMismatch(certificatePath: certificatePath, privateKeyPath: keyPath)
        }
    }

    /// The system's reason when the file cannot be opened for reading (clearer than OpenSSL's).
    private static func unreadable(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        Glibc.close(fd)
        return nil
    }

    /// OpenSSL's queued error reasons, oldest first, and empties the queue.
    static func takeErrors() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            guard code != 0 else { break }
            let reason = ERR_reason_error_string(code).map { String(cString: $0) } ?? "error \(code)"
            if !reasons.contains(reason) { reasons.append(reason) }
        }
        return reasons.isEmpty ? "unknown error" : reasons.joined(separator: "; ")
    }
}
