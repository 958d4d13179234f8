import Glibc

/// Looks at this process's own descriptors (/proc/self/fd) to count them and to find the TCP
/// sockets whose local port is a given server port (accepted connections and the listener).
enum ProcessDescriptors {
    struct TCPSocket {
        let fileDescriptor: Int32
        let localPort: UInt16
        let remotePort: UInt16
        let isListening: Bool
    }

    /// Open descriptors, not counting timerfds: libdispatch opens one per clock kind the first time
    /// any timer on that clock is armed (Swift concurrency and Swift Testing arm timers too) and
    /// keeps it; nothing in DispatchSockets opens a timerfd.
    static func openCount() -> Int {
        describeOpen().values.filter { $0 != "anon_inode:[timerfd]" }.count
    }

    /// "fd -> link target" for every open descriptor, for failure messages.
    static func describeOpen() -> [Int32: String] {
        var result: [Int32: String] = [:]
        for fd in descriptors() {
            var buffer = [CChar](repeating: 0, count: 256)
            let length = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
            result[fd] = length > 0 ? String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
        }
        return result
    }

    /// Server-side sockets (local port == `port`) held by this process.
    static func serverSockets(port: UInt16) -> [TCPSocket] {
        descriptors().compactMap { fd in
            guard let local = self.port(of: fd, peer: false), local == port else { return nil }
            var listening: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length)
            return TCPSocket(
                fileDescriptor: fd, localPort: local, remotePort: self.port(of: fd, peer: true) ?? 0,
                isListening: listening != 0)
        }
    }

    /// The server-side descriptor of the connection whose client end has local port `clientPort`.
    static func serverDescriptor(serverPort: UInt16, clientPort: UInt16) -> Int32? {
        serverSockets(port: serverPort).first { $0.remotePort == clientPort && !$0.isListening }?.fileDescriptor
    }

    private static func descriptors() -> [Int32] {
        guard let directory = opendir("/proc/self/fd") else { return [] }
        defer { closedir(directory) }
        let directoryFD = dirfd(directory)
        var result: [Int32] = []
        while let entry = readdir(directory) {
            var name = entry.pointee.d_name
            let number = withUnsafeBytes(of: &name) { raw -> Int32? in
                var value: Int32 = 0
                var sawDigit = false
                for byte in raw {
                    guard byte != 0 else { break }
                    guard byte >= 48, byte <= 57 else { return nil }
                    value = value * 10 + Int32(byte - 48)
                    sawDigit = true
                }
                return sawDigit ? value : nil
            }
            if let number, number != directoryFD { result.append(number) }
        }
        return result
    }

    /// Local (or peer) TCP port of `fd`, nil when it is not an IP socket (or has no peer).
    private static func port(of fd: Int32, peer: Bool) -> UInt16? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                peer ? getpeername(fd, $0, &length) : getsockname(fd, $0, &length)
            }
        }
        guard result == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafeBytes(of: &storage) { UInt16(bigEndian: $0.load(as: sockaddr_in.self).sin_port) }
        case AF_INET6:
            return withUnsafeBytes(of: &storage) { UInt16(bigEndian: $0.load(as: sockaddr_in6.self).sin6_port) }
        default:
            return nil
        }
    }
}
