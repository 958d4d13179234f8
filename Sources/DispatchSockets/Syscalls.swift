internal import CSystemShims
internal import Glibc

/// Outcome of one non-blocking transfer: bytes moved (0 from a read means end of stream), the
/// kernel would block, or a hard error.
enum TransferResult: Equatable {
    case transferred(Int)
    case wouldBlock
    case failed(errno: Int32)
}

/// Outcome of one accept4 call on the non-blocking listener.
enum AcceptResult {
    case accepted(fileDescriptor: Int32, remote: SocketAddress?)
    case wouldBlock
    /// Transient per-connection failures (the peer went away before we took it): try again now.
    case retry
    /// Out of descriptors or memory: back off before trying again, or the lane spins.
    case resourcesExhausted(errno: Int32)
    /// The listener was shut down (stopAccepting) or is otherwise unusable.
    case listenerClosed(errno: Int32)
}

/// Thin EINTR-retrying wrappers. Every socket here is non-blocking, so nothing in this file blocks.
enum Syscalls {
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> TransferResult {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return .transferred(count) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case let error: return .failed(errno: error)
            }
        }
    }

    /// send(2) with MSG_NOSIGNAL: a peer that reset gives EPIPE, never SIGPIPE.
    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> TransferResult {
        while true {
            let count = Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if count >= 0 { return .transferred(count) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case let error: return .failed(errno: error)
            }
        }
    }

    /// Gathered write (sendmsg, so MSG_NOSIGNAL applies as it would not with writev).
    static func sendVectored(_ fd: Int32, _ vectors: UnsafeMutablePointer<iovec>, count: Int) -> TransferResult {
        var message = msghdr()
        message.msg_iov = vectors
        message.msg_iovlen = count
        while true {
            let sent = Glibc.sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
            if sent >= 0 { return .transferred(sent) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case let error: return .failed(errno: error)
            }
        }
    }

    static func accept(_ listener: Int32) -> AcceptResult {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                kelpie_accept4(listener, $0, &length, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue))
            }
        }
        if fd >= 0 {
            return .accepted(fileDescriptor: fd, remote: SocketAddress(storage: &storage))
        }
        switch errno {
        case EAGAIN, EWOULDBLOCK:
            return .wouldBlock
        // accept(2) on Linux: pending network errors of the new socket are reported by accept and
        // should be treated like EAGAIN by retrying.
        case EINTR, ECONNABORTED, EPROTO, EPERM, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH,
             EOPNOTSUPP, ENETUNREACH:
            return .retry
        case EMFILE, ENFILE, ENOBUFS, ENOMEM:
            return .resourcesExhausted(errno: errno)
        case let error:
            return .listenerClosed(errno: error)
        }
    }

    /// Whether two descriptors share one open file description (kcmp); nil when kcmp is unavailable.
    /// Diagnostics only: tells a leaked descriptor from a number that was closed and reused.
    static func isSameOpenFile(_ first: Int32, _ second: Int32) -> Bool? {
        switch kelpie_same_open_file(first, second) {
        case 1: return true
        case 0: return false
        default: return nil
        }
    }

    /// close(2) is not retried on EINTR: Linux releases the descriptor even then.
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    static func setOption(_ fd: Int32, level: Int32, name: Int32, value: Int32) -> Bool {
        var value = value
        return setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0
    }

    static func setNoDelay(_ fd: Int32) {
        _ = setOption(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
    }

    /// socket + SO_REUSEADDR (+ SO_REUSEPORT) + bind + listen. Returns the fd and the bound address.
    static func makeListeningSocket(
        address: SocketAddress, backlog: Int32, reusePort: Bool
    ) throws -> (fileDescriptor: Int32, boundAddress: SocketAddress) {
        let domain = address.family == .ipv4 ? AF_INET : AF_INET6
        let fd = socket(domain, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError.lastSystemCall("socket") }
        do {
            guard setOption(fd, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1) else {
                throw SocketError.lastSystemCall("setsockopt(SO_REUSEADDR)")
            }
            if reusePort {
                guard setOption(fd, level: SOL_SOCKET, name: SO_REUSEPORT, value: 1) else {
                    throw SocketError.lastSystemCall("setsockopt(SO_REUSEPORT)")
                }
            }
            let bound = try address.withSockAddr { Glibc.bind(fd, $0, $1) }
            guard bound == 0 else { throw SocketError.lastSystemCall("bind(\(address))") }
            guard Glibc.listen(fd, backlog) == 0 else { throw SocketError.lastSystemCall("listen") }
            return (fd, try localAddress(of: fd))
        } catch {
            close(fd)
            throw error
        }
    }

    static func localAddress(of fd: Int32) throws -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw SocketError.lastSystemCall("getsockname") }
        guard let address = SocketAddress(storage: &storage) else {
            throw SocketError.invalidAddress("unsupported address family from getsockname")
        }
        return address
    }
}

extension Duration {
    /// Whole nanoseconds (truncated), saturating at Int64 bounds.
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return total
    }
}
