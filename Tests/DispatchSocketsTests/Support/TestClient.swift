import DispatchSockets
import Glibc

enum TestClientError: Error, Equatable {
    case system(String, Int32)
    case timedOut
    case connectionReset
}

/// A blocking client socket with send/receive timeouts, so a broken server fails a test instead of
/// hanging it.
final class TestClient {
    let fileDescriptor: Int32
    private(set) var isClosed = false

    private let address: SocketAddress

    /// Creates the socket now and connects later (lets a test pick which descriptor number the
    /// client takes, so the server's next accept gets the number the server just freed).
    init(unconnectedFor address: SocketAddress, timeout: Duration = .seconds(5)) throws {
        self.address = address
        fileDescriptor = socket(address.family == .ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fileDescriptor >= 0 else { throw TestClientError.system("socket", errno) }
        setTimeout(timeout)
    }

    convenience init(connectingTo address: SocketAddress, timeout: Duration = .seconds(5)) throws {
        try self.init(unconnectedFor: address, timeout: timeout)
        try connect()
    }

    func connect() throws {
        let result: Int32
        if address.family == .ipv6 {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = address.port.bigEndian
            inet_pton(AF_INET6, address.host, &sin6.sin6_addr)
            result = withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fileDescriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = address.port.bigEndian
            inet_pton(AF_INET, address.host == "0.0.0.0" ? "127.0.0.1" : address.host, &sin.sin_addr)
            result = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fileDescriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        if result != 0 {
            let error = errno
            close()
            throw TestClientError.system("connect", error)
        }
    }

    deinit {
        if !isClosed { Glibc.close(fileDescriptor) }
    }

    func setTimeout(_ timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(fileDescriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fileDescriptor, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    var localPort: UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fileDescriptor, $0, &length) }
        }
        if Int32(storage.ss_family) == AF_INET6 {
            return withUnsafeBytes(of: &storage) { UInt16(bigEndian: $0.load(as: sockaddr_in6.self).sin6_port) }
        }
        return withUnsafeBytes(of: &storage) { UInt16(bigEndian: $0.load(as: sockaddr_in.self).sin_port) }
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                Glibc.send(fileDescriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { throw TestClientError.timedOut }
                if errno == ECONNRESET || errno == EPIPE { throw TestClientError.connectionReset }
                throw TestClientError.system("send", errno)
            }
            offset += sent
        }
    }

    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    /// Up to `maxCount` bytes; empty at end of stream.
    func receive(maxCount: Int = 65_536) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maxCount)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fileDescriptor, $0.baseAddress, $0.count, 0) }
            if count >= 0 { return Array(buffer[0..<count]) }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw TestClientError.timedOut }
            if errno == ECONNRESET { throw TestClientError.connectionReset }
            throw TestClientError.system("recv", errno)
        }
    }

    func receive(exactly count: Int) throws -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        while result.count < count {
            let chunk = try receive(maxCount: min(65_536, count - result.count))
            if chunk.isEmpty { throw TestClientError.system("recv: early EOF after \(result.count) bytes", 0) }
            result += chunk
        }
        return result
    }

    func receiveString(exactly count: Int) throws -> String {
        String(decoding: try receive(exactly: count), as: UTF8.self)
    }

    /// Reads until the peer's FIN; returns how many bytes came and whether they matched `check`.
    func receiveUntilEOF(_ visit: ([UInt8]) -> Void = { _ in }) throws -> Int {
        var total = 0
        while true {
            let chunk = try receive()
            if chunk.isEmpty { return total }
            visit(chunk)
            total += chunk.count
        }
    }

    /// True when nothing arrives within `window` (the socket stays silent, not closed).
    func staysSilent(for window: Duration) -> Bool {
        setTimeout(window)
        defer { setTimeout(.seconds(5)) }
        do {
            _ = try receive(maxCount: 1)
            return false
        } catch TestClientError.timedOut {
            return true
        } catch {
            return false
        }
    }

    func shutdownWrite() {
        Glibc.shutdown(fileDescriptor, Int32(SHUT_WR))
    }

    /// Makes the next close send RST instead of FIN.
    func setResetOnClose() {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fileDescriptor, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fileDescriptor)
    }
}
