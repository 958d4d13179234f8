internal import CSSL
internal import CSSLShim

/// One connection's OpenSSL state (SSL) over its non-blocking socket: server-side handshake, record
/// reads and writes, close_notify. Lane-confined, owned by its Connection; the descriptor stays the
/// Connection's (SSL_free does not close it).
final class TLSSession {
    enum HandshakeStep {
        case completed
        case wantsReadable
        case wantsWritable
        case peerClosed
        case failed
    }

    enum Transfer {
        case transferred(Int)
        case wantsReadable
        case wantsWritable
        /// close_notify received, or the peer's FIN (a missing close_notify is accepted).
        case closed
        case failed
    }

    let context: TLSContext
    private let ssl: OpaquePointer
    private(set) var isHandshaking = true
    /// After a fatal error no further SSL call may be made on this session (not even SSL_shutdown).
    private var isBroken = false
    /// The last handshake step or read stopped on WANT_WRITE: retry it once the socket is writable,
    /// and do not read meanwhile (a read would only hit the same wall).
    var isBlockedOnWrite = false

    init?(context: TLSContext, fileDescriptor: Int32) {
        guard let ssl = SSL_new(context.pointer) else { return nil }
        guard SSL_set_fd(ssl, fileDescriptor) == 1 else {
            SSL_free(ssl)
            return nil
        }
        SSL_set_accept_state(ssl)
        self.context = context
        self.ssl = ssl
    }

    deinit {
        SSL_free(ssl)
    }

    func handshake() -> HandshakeStep {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            isHandshaking = false
            return .completed
        }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ:
            return .wantsReadable
        case SSL_ERROR_WANT_WRITE:
            return .wantsWritable
        case SSL_ERROR_ZERO_RETURN, SSL_ERROR_SYSCALL:
            breakSession()
            return .peerClosed
        default:
            breakSession()
            return .failed
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Transfer {
        let result = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        return result > 0 ? .transferred(Int(result)) : failure(result)
    }

    /// Sends at most one record's worth (partial-write mode). After `.wantsWritable` the same bytes
    /// (or more of the same stream) must be offered again.
    func write(_ bytes: UnsafeRawBufferPointer) -> Transfer {
        let result = SSL_write(ssl, bytes.baseAddress, Int32(clamping: bytes.count))
        return result > 0 ? .transferred(Int(result)) : failure(result)
    }

    /// Sends close_notify if the socket takes it now; never waits for the peer's.
    func sendCloseNotify() {
        guard !isHandshaking, !isBroken else { return }
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// Bytes OpenSSL has read from the socket but not yet returned (read-ahead): the kernel may show
    /// nothing readable while input is waiting here.
    var hasBufferedInput: Bool {
        !isBroken && SSL_has_pending(ssl) == 1
    }

    var info: TLSConnectionInfo {
        let version = SSL_get_version(ssl).map { String(cString: $0) } ?? "unknown"
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        let alpn = data.map { String(decoding: UnsafeBufferPointer(start: $0, count: Int(length)), as: UTF8.self) }
        return TLSConnectionInfo(
            protocolVersion: version, applicationProtocol: alpn, isResumed: kelpie_ssl_session_reused(ssl) == 1)
    }

    private func failure(_ result: Int32) -> Transfer {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ:
            return .wantsReadable
        case SSL_ERROR_WANT_WRITE:
            return .wantsWritable
        case SSL_ERROR_ZERO_RETURN:
            return .closed
        default:
            breakSession()
            return .failed
        }
    }

    private func breakSession() {
        isBroken = true
        ERR_clear_error()
    }
}
