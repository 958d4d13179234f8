internal import Glibc

/// A numeric IPv4 or IPv6 address plus port. Prints as "127.0.0.1:8080" or "[::1]:8080".
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Family: Sendable, Hashable {
        case ipv4
        case ipv6
    }

    public let family: Family
    /// Numeric host without brackets: "127.0.0.1", "::1".
    public let host: String
    public var port: UInt16

    /// `host` is numeric ("0.0.0.0", "::1"); surrounding brackets ("[::1]") are accepted.
    public init(host: String, port: UInt16) throws {
        var bare = Substring(host)
        if bare.hasPrefix("["), bare.hasSuffix("]") {
            bare = bare.dropFirst().dropLast()
        }
        let text = String(bare)
        if Self.parses(text, family: AF_INET) {
            family = .ipv4
        } else if Self.parses(text, family: AF_INET6) {
            family = .ipv6
        } else {
            throw SocketError.invalidAddress(host)
        }
        self.host = text
        self.port = port
    }

    /// Parses "1.2.3.4:80", "[::]:8080", "[::1]:0".
    public init(parsing text: String) throws {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"),
                  text[text.index(after: close)...].hasPrefix(":")
            else { throw SocketError.invalidAddress(text) }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"),
                  !text[..<colon].contains(":")
            else { throw SocketError.invalidAddress(text) }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        guard let port = UInt16(portPart) else { throw SocketError.invalidAddress(text) }
        try self.init(host: String(hostPart), port: port)
    }

    public var description: String {
        switch family {
        case .ipv4: return "\(host):\(port)"
        case .ipv6: return "[\(host)]:\(port)"
        }
    }

    private static func parses(_ text: String, family: Int32) -> Bool {
        var scratch = in6_addr()
        return inet_pton(family, text, &scratch) == 1
    }

    /// Calls `body` with this address as a kernel sockaddr.
    func withSockAddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> Result) throws -> Result {
        switch family {
        case .ipv4:
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw SocketError.invalidAddress(host) }
            return try withUnsafePointer(to: &address) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    try body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .ipv6:
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { throw SocketError.invalidAddress(host) }
            return try withUnsafePointer(to: &address) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    try body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// Builds an address from a kernel sockaddr (accept, getsockname). IPv4-mapped IPv6 addresses
    /// ("::ffff:1.2.3.4", seen on a dual-stack listener) are reported as IPv4.
    init?(storage: UnsafePointer<sockaddr_storage>) {
        switch Int32(storage.pointee.ss_family) {
        case AF_INET:
            let address = UnsafeRawPointer(storage).load(as: sockaddr_in.self)
            var sinAddress = address.sin_addr
            guard let text = Self.format(&sinAddress, family: AF_INET) else { return nil }
            family = .ipv4
            host = text
            port = UInt16(bigEndian: address.sin_port)
        case AF_INET6:
            let address = UnsafeRawPointer(storage).load(as: sockaddr_in6.self)
            var sin6Address = address.sin6_addr
            let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]
            let isMapped = withUnsafeBytes(of: &sin6Address) { Array($0.prefix(12)) == mappedPrefix }
            if isMapped {
                var v4 = withUnsafeBytes(of: &sin6Address) { bytes in
                    in_addr(s_addr: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
                }
                guard let text = Self.format(&v4, family: AF_INET) else { return nil }
                family = .ipv4
                host = text
            } else {
                guard let text = Self.format(&sin6Address, family: AF_INET6) else { return nil }
                family = .ipv6
                host = text
            }
            port = UInt16(bigEndian: address.sin6_port)
        default:
            return nil
        }
    }

    private static func format<Address>(_ address: inout Address, family: Int32) -> String? {
        let capacity = Int(INET6_ADDRSTRLEN)
        return withUnsafeBytes(of: &address) { raw in
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer in
                guard inet_ntop(family, raw.baseAddress, buffer.baseAddress, socklen_t(capacity)) != nil else { return nil }
                return String(cString: buffer.baseAddress!)
            }
        }
    }
}
