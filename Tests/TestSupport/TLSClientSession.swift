import CSSL
import CSSLShim

#if canImport(Glibc)
import Glibc
#endif

/// The client side of TLS over an already connected blocking socket, for tests: SSL_connect, then
/// records in and out. Certificates are not verified unless `caCertificatePath` is given (then the
/// chain and the name "localhost" are). The socket's own timeouts bound every call.
public final class TLSClientSession {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private let context: OpaquePointer
    private let ssl: OpaquePointer

    /// `session`: a session from an earlier connection (`takeSession`) to offer for resumption.
    /// `maxVersion`/`minVersion`: e.g. TLS1_2_VERSION to force TLS 1.2.
    public init(
        fileDescriptor: Int32, applicationProtocols: [String] = ["http/1.1"], caCertificatePath: String? = nil,
        session: OpaquePointer? = nil, minVersion: Int32? = nil, maxVersion: Int32? = nil
    ) throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw Failure(description: "SSL_CTX_new") }
        self.context = context
        _ = kelpie_ssl_ctx_set_version_bounds(context, minVersion ?? 0, maxVersion ?? 0)
        if let caCertificatePath {
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
            guard SSL_CTX_load_verify_locations(context, caCertificatePath, nil) == 1 else {
                SSL_CTX_free(context)
                throw Failure(description: "cannot load CA \(caCertificatePath)")
            }
        }
        if !applicationProtocols.isEmpty {
            var wire: [UInt8] = []
            for name in applicationProtocols { wire.append(UInt8(name.utf8.count)); wire += Array(name.utf8) }
            _ = SSL_CTX_set_alpn_protos(context, wire, UInt32(wire.count))
        }
        guard let ssl = SSL_new(context) else {
            SSL_CTX_free(context)
            throw Failure(description: "SSL_new")
        }
        self.ssl = ssl
        SSL_set_fd(ssl, fileDescriptor)
        if caCertificatePath != nil {
            _ = SSL_set1_host(ssl, "localhost")
        }
        if let session { SSL_set_session(ssl, session) }
        ERR_clear_error()
        let result = SSL_connect(ssl)
        guard result == 1 else {
            let reason = Self.errorText(ssl: ssl, result: result)
            throw Failure(description: "handshake failed: \(reason)")
        }
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    public var applicationProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        return data.map { String(decoding: UnsafeBufferPointer(start: $0, count: Int(length)), as: UTF8.self) }
    }

    public var isResumed: Bool { kelpie_ssl_session_reused(ssl) == 1 }

    /// The subject line of the server's certificate, e.g. "/CN=first".
    public var peerSubject: String {
        guard let certificate = SSL_get1_peer_certificate(ssl) else { return "" }
        defer { X509_free(certificate) }
        guard let line = X509_NAME_oneline(X509_get_subject_name(certificate), nil, 0) else { return "" }
        defer { CRYPTO_free(line, #fileID, #line) }
        return String(cString: line)
    }

    /// The session to resume later (TLS 1.3 tickets arrive with the first read after the handshake).
    /// The caller frees it with `SSL_SESSION_free` via `freeSession`.
    public func takeSession() -> OpaquePointer? { SSL_get1_session(ssl) }

    public static func freeSession(_ session: OpaquePointer) { SSL_SESSION_free(session) }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress! + offset, Int32(bytes.count - offset)) }
            guard written > 0 else { throw Failure(description: "SSL_write: \(Self.errorText(ssl: ssl, result: written))") }
            offset += Int(written)
        }
    }

    /// Up to `maxCount` bytes; empty at the end of the stream (close_notify or FIN). Throws on a
    /// timeout or a protocol error.
    public func receive(maxCount: Int = 65536) throws -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: maxCount)
        let count = chunk.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
        if count > 0 { return Array(chunk[0..<Int(count)]) }
        let error = SSL_get_error(ssl, count)
        if error == SSL_ERROR_ZERO_RETURN { return [] }
        if error == SSL_ERROR_SYSCALL, errno == 0 || errno == ECONNRESET { ERR_clear_error(); return [] }
        throw Failure(description: "SSL_read: \(Self.errorText(ssl: ssl, result: count))")
    }

    public func receive(exactly count: Int) throws -> [UInt8] {
        var received: [UInt8] = []
        while received.count < count {
            let chunk = try receive(maxCount: min(65536, count - received.count))
            if chunk.isEmpty { throw Failure(description: "end of stream after \(received.count) of \(count) bytes") }
            received += chunk
        }
        return received
    }

    public func sendCloseNotify() { _ = SSL_shutdown(ssl) }

    private static func errorText(ssl: OpaquePointer, result: Int32) -> String {
        let kind = SSL_get_error(ssl, result)
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            reasons.append(ERR_reason_error_string(code).map { String(cString: $0) } ?? "\(code)")
        }
        if kind == SSL_ERROR_SYSCALL { reasons.append("errno \(errno) \(String(cString: strerror(errno)))") }
        return "SSL error \(kind): \(reasons.joined(separator: "; "))"
    }
}
