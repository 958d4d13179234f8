import CSystemShims
import Glibc

/// `http://host[:port][/base]`: where requests go. TLS is not supported (terminate it elsewhere).
public struct TargetURL: Sendable, Equatable {
    public var host: String
    public var port: UInt16
    /// Path prefix prepended to every request path, without a trailing slash ("" for none).
    public var basePath: String

    public static let defaultPort: UInt16 = 80

    public init(parsing text: String) throws(LoadError) {
        guard text.hasPrefix("http://") else {
            throw .invalidArgument("target must start with http:// (https is not supported): \(text)")
        }
        var rest = Substring(text.dropFirst("http://".count))
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = rest[..<slash]
        }
        while path.hasSuffix("/") { path.removeLast() }
        var hostPart = String(rest)
        var portNumber = Self.defaultPort
        if hostPart.hasPrefix("[") {  // [v6]:port
            guard let close = hostPart.firstIndex(of: "]") else { throw .invalidArgument("bad IPv6 host in \(text)") }
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") {
                guard let value = UInt16(after.dropFirst()) else { throw .invalidArgument("bad port in \(text)") }
                portNumber = value
            }
            hostPart = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
        } else if let colon = hostPart.lastIndex(of: ":") {
            guard let value = UInt16(hostPart[hostPart.index(after: colon)...]) else {
                throw .invalidArgument("bad port in \(text)")
            }
            portNumber = value
            hostPart = String(hostPart[..<colon])
        }
        guard !hostPart.isEmpty else { throw .invalidArgument("missing host in \(text)") }
        host = hostPart
        port = portNumber
        basePath = path
    }

    /// Value of the Host header.
    public var hostHeader: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return port == Self.defaultPort ? shownHost : "\(shownHost):\(port)"
    }

    /// Resolves the host once (getaddrinfo), preferring the first address returned.
    public func resolve() throws(LoadError) -> SocketAddress {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>? = nil
        let rc = getaddrinfo(host, String(port), &hints, &results)
        guard rc == 0, let first = results else {
            throw .resolve("cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(results) }
        var storage = sockaddr_storage()
        let length = Int(first.pointee.ai_addrlen)
        withUnsafeMutableBytes(of: &storage) { dest in
            dest.copyMemory(from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: length))
        }
        return SocketAddress(storage: storage, length: socklen_t(length), family: first.pointee.ai_family)
    }
}

/// A resolved socket address, copied so it can cross threads.
public struct SocketAddress: @unchecked Sendable {  // unchecked: an immutable copy of a C sockaddr, never mutated after init
    var storage: sockaddr_storage
    var length: socklen_t
    var family: Int32
}
